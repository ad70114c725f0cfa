#!/usr/bin/env python
"""Per-request cost of the request log middleware and of its response-time sampling.

    .venv/bin/python bench/kpi_overhead.py --iterations 200000

Calls core.middleware.RequestLogMiddleware around a trivial view (it returns a ready
response) many thousands of times, in-process, without a database, and prints the cost
per request of:

- the trivial view alone (the baseline);
- the middleware with sampling off (request id, header, access line);
- the middleware with sampling on (the same plus the per-minute histogram update);

and the difference of the last two: what the API response-time KPI costs a request. The
access line goes through the real JSON formatter into an in-memory stream, as it would to
stderr. The recorder's clock is frozen so no minute ends during the run: writing a finished
minute (one upsert a minute per process, whatever the traffic) is not a per-request cost.
Each figure is the best of --repeat runs, the usual timeit practice to leave out noise from
other processes.
"""

import argparse
import io
import logging
import os
import sys
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import AnonymousUser  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

from core import response_times  # noqa: E402
from core.logs import JsonFormatter, RequestIdFilter  # noqa: E402
from core.middleware import RequestLogMiddleware  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("access")
    access.handlers, access.propagate, access.level = [handler], False, logging.INFO

    response_times.recorder = response_times.ResponseTimeRecorder(clock=lambda: 1_800_000_000.0)

    request = RequestFactory().get("/api/v1/products/", HTTP_X_REQUEST_ID="bench-request-1")
    request.resolver_match = resolve("/api/v1/products/")
    request.user = AnonymousUser()
    ready = HttpResponse(b"{}", content_type="application/json")

    def view(_request):
        return ready

    middleware = RequestLogMiddleware(view)

    def per_request_us(call) -> float:
        best = min(timeit.repeat(call, number=args.iterations, repeat=args.repeat))
        stream.seek(0)
        stream.truncate()
        return best / args.iterations * 1e6

    def with_sampling(enabled: bool) -> float:
        settings.API_RESPONSE_TIMES = enabled
        return per_request_us(lambda: middleware(request))

    baseline = per_request_us(lambda: view(request))
    without = with_sampling(False)
    with_kpi = with_sampling(True)
    counted = sum(sum(counts) for counts in response_times.recorder.pending().values())

    print(f"iterations per run: {args.iterations:,}, best of {args.repeat} runs")
    print(f"trivial view alone:                  {baseline:8.2f} us/request")
    print(f"middleware, sampling off:            {without:8.2f} us/request")
    print(f"middleware, sampling on:             {with_kpi:8.2f} us/request")
    print(
        f"response-time sampling costs:        {with_kpi - without:8.2f} us/request "
        f"({(with_kpi - without) / 1000:.4f} ms; budget 0.2 ms)"
    )
    print(
        f"whole middleware (id, log, sample):  {with_kpi - baseline:8.2f} us/request "
        f"({(with_kpi - baseline) / 1000:.4f} ms)"
    )
    print(f"answers counted by the recorder:     {counted:,}")


if __name__ == "__main__":
    main()
