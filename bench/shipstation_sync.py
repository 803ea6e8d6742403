"""Pull N ShipStation orders at real speed from the sandbox.

The sandbox enforces ShipStation's real limit (40 calls in a 60 s window)
on the real clock; the client paces itself from the headers.  Writes wall
time, call counts, waits and throughput to bench/results/shipstation_sync.txt.

    .venv/bin/python bench/shipstation_sync.py --orders 10000
"""
import argparse
import datetime as dt
import pathlib
import platform
import sys
import time
from collections import Counter

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from connectors.shipstation import ShipStationClient  # noqa: E402
from sandbox.server import serve_in_thread  # noqa: E402
from sandbox.shipstation import make_app  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--orders', type=int, default=10_000)
    parser.add_argument('--rate-limit', type=int, default=40)
    parser.add_argument('--window', type=float, default=60.0)
    parser.add_argument('--fault-rate', type=float, default=0.0)
    parser.add_argument('--with-shipments', action='store_true')
    parser.add_argument('--output', default=str(
            HERE / 'results' / 'shipstation_sync.txt'))
    return parser.parse_args(argv)


def run(args):
    started = time.monotonic()
    app = make_app(
        seed=1, orders=args.orders, rate_limit=args.rate_limit,
        window=args.window, fault_rate=args.fault_rate, slow_delay=3.0)
    generated = time.monotonic() - started
    base_url, stop = serve_in_thread(app)
    client = ShipStationClient(base_url, 'key', 'secret', timeout=2.0)
    try:
        started = time.monotonic()
        ids = Counter(o.external_id for o in client.iter_orders(
                status=None, with_shipments=args.with_shipments))
        wall = time.monotonic() - started
    finally:
        stop()
    return {
        'orders': args.orders, 'generated_s': generated, 'wall_s': wall,
        'distinct': len(ids), 'duplicates': sum(ids.values()) - len(ids),
        'client_calls': client.calls,
        'orders_list_calls': app.count('path', 'GET /orders'),
        'shipments_list_calls': app.count('path', 'GET /shipments'),
        'real_429': app.count('throttled', 'real'),
        'injected_faults': sum(v for (g, _), v in app.stats.items()
            if g == 'fault'),
        'pacing_waits': len(client.rate_limiter.waited),
        'pacing_wait_s': sum(client.rate_limiter.waited),
        }


def report(args, result):
    calls = result['client_calls']
    windows = max(calls - 1, 0) // args.rate_limit
    now = dt.datetime.now(dt.timezone.utc)
    lines = [
        f"# ShipStation sync bench, {now:%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()} (Python {platform.python_version()})",
        f"command: .venv/bin/python bench/shipstation_sync.py "
        f"--orders {args.orders} --rate-limit {args.rate_limit} "
        f"--window {args.window:g} --fault-rate {args.fault_rate:g}"
        + (' --with-shipments' if args.with_shipments else ''),
        ]
    lines += [f"{key}: {value:.2f}" if isinstance(value, float)
        else f"{key}: {value}" for key, value in result.items()]
    lines.append(
        f"orders_per_s: {result['orders'] / result['wall_s']:.0f} "
        "(wall time includes the rate-limit waits)")
    lines.append(
        f"rate-limit model: {calls} calls at {args.rate_limit}/"
        f"{args.window:g}s -> {windows} full window wait(s); each 500-order "
        f"page costs 1/{args.rate_limit} of a window, i.e. the limit "
        f"allows {500 * args.rate_limit / args.window:.0f} orders/s")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    args = parse_args(argv)
    result = run(args)
    text = report(args, result)
    print(text)
    output = pathlib.Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open('a') as stream:
        stream.write(text + '\n')
    return 0 if result['duplicates'] == 0 and (
        result['distinct'] == args.orders) else 1


if __name__ == '__main__':
    sys.exit(main())
