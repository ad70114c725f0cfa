"""Domain errors of stores, rendered by core's exception handler."""

from core.exceptions import Conflict, Forbidden


class StoreExists(Conflict):
    default_detail = "You already have a store."


class StoreNotApproved(Forbidden):
    """A seller whose store is pending, rejected or suspended cannot list products."""

    default_detail = "Your store is not approved; it cannot list products right now."
