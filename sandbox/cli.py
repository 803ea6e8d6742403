"""``cloud-commerce-sandbox {shipstation,square}``: run a sandbox server."""
import argparse
import importlib
import logging
import sys

from werkzeug.serving import run_simple

VENDORS = {
    'shipstation': 'shipstation',
    'square': 'square',
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        prog='cloud-commerce-sandbox',
        description="Serve a local ShipStation V1 or Square v2 sandbox.")
    parser.add_argument('vendor', choices=sorted(VENDORS))
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=None,
        help="default: 8701 for ShipStation, 8702 for Square")
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--orders', type=int, default=200)
    parser.add_argument('--fault-rate', type=float, default=0.0,
        help="share of requests answered with an injected fault")
    parser.add_argument('--rate-limit', type=int, default=40,
        help="requests allowed per rate-limit window")
    parser.add_argument('--verbose', '-v', action='store_true')
    return parser.parse_args(argv)


def make_app(vendor, **options):
    # Lazy: each vendor's module is only needed when served.
    module = importlib.import_module(
        f'.{VENDORS[vendor]}', __package__ or 'sandbox')
    return module.make_app(**options)


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARN)
    app = make_app(
        args.vendor, seed=args.seed, orders=args.orders,
        fault_rate=args.fault_rate, rate_limit=args.rate_limit)
    port = args.port
    if port is None:
        port = {'shipstation': 8701, 'square': 8702}[args.vendor]
    print(f"{args.vendor} sandbox on http://{args.host}:{port}", flush=True)
    run_simple(args.host, port, app, threaded=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
