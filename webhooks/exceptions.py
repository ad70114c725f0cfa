from core.exceptions import Conflict


class EndpointDisabled(Conflict):
    """The endpoint is disabled: nothing is sent to it until staff switch it back on."""

    default_detail = (
        "This webhook endpoint is disabled; switch it back on (is_active: true) to send to it."
    )
