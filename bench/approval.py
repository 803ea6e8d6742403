"""Staging and approval throughput of ShipStation orders, in one process.

    .venv/bin/python bench/approval.py [--orders 500] \\
        [--output bench/results/approval.txt]

Builds a SQLite database with the demo's steps (company, books, known
products and customers) in a temporary folder, serves the ShipStation
sandbox with the demo's seed, refreshes the store (staging and matching)
and approves every ready order through the approval wizard with every
document ticked (sale, shipment, posted invoice, receipt).  Reports orders
per second for each phase, the documents made, the reconciliation's
differences (must be 0) and the process's peak RSS.
"""
import argparse
import datetime as dt
import platform
import resource
import tempfile
import time
from pathlib import Path

from trytond.modules.cloud_commerce.demo import build, company, stores
from trytond.modules.cloud_commerce.sandbox.server import serve_in_thread
from trytond.modules.cloud_commerce.sandbox.shipstation import make_app


def run(orders, log=print):
    from proteus import Model, Wizard
    with tempfile.TemporaryDirectory(prefix='cc-bench-') as directory:
        config_file = build.write_config(
            str(Path(directory) / 'trytond.conf'), directory)
        build.create_database(config_file, directory, 'bench')
        config = build.connect(config_file, 'bench')
        build.fill(config, log=lambda *args: None)
        Configuration = Model.get('commerce.configuration')
        configuration = Configuration(1)
        # The wizard approves at once instead of queuing
        configuration.approval_queue_threshold = orders + 1
        configuration.save()

        app = make_app(seed=company.SEED, orders=orders, rate_limit=10 ** 6,
            api_key=stores.SHIPSTATION_KEY,
            api_secret=stores.SHIPSTATION_SECRET)
        url, stop = serve_in_thread(app)
        try:
            store, _ = stores.find_or_create_store(config, 'shipstation',
                stores.SHIPSTATION_NAME, url,
                shipstation_api_key=stores.SHIPSTATION_KEY,
                shipstation_api_secret=stores.SHIPSTATION_SECRET)
            started = time.perf_counter()
            store.click('commerce_refresh')
            staging = time.perf_counter() - started
        finally:
            stop()

        Order = Model.get('commerce.order')
        staged = Order.find([])
        ready = [o for o in staged if o.ready and o.state == 'pending']
        started = time.perf_counter()
        approve = Wizard('commerce.approve', ready)
        approve.form.create_shipment = True
        approve.form.create_invoice = True
        approve.form.create_receipt = True
        approve.execute('approve')
        approval = time.perf_counter() - started
        result = approve.form
        Document = Model.get('commerce.document')
        documents = Document.find([])
        differences = sum(r.difference_count
            for r in Model.get('commerce.reconciliation').find([]))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        'orders': orders, 'staged': len(staged), 'ready': len(ready),
        'approved': result.approved, 'failed': result.failed,
        'documents': len(documents), 'staging': staging,
        'approval': approval,
        'staged_per_s': len(staged) / staging,
        'approved_per_s': result.approved / approval,
        'differences': differences, 'rss_mib': peak / 2 ** 20,
        }


def report(rows):
    lines = [
        f"Staging and approval of ShipStation orders (SQLite, one process), "
        f"{dt.date.today()}, Python {platform.python_version()}, "
        f"{platform.machine()}",
        "documents = sales, shipments, invoices and receipts linked to "
        "the orders; diffs = records the reconciliation names",
        "",
        f"{'orders':>6} {'staged':>6} {'ready':>5} {'apprvd':>6} "
        f"{'failed':>6} {'docs':>5} {'stage s':>7} {'stg/s':>6} "
        f"{'apprv s':>7} {'apr/s':>6} {'diffs':>5} {'RSSMiB':>6}",
        ]
    for r in rows:
        lines.append(
            f"{r['orders']:>6} {r['staged']:>6} {r['ready']:>5} "
            f"{r['approved']:>6} {r['failed']:>6} {r['documents']:>5} "
            f"{r['staging']:>7.1f} {r['staged_per_s']:>6.1f} "
            f"{r['approval']:>7.1f} {r['approved_per_s']:>6.1f} "
            f"{r['differences']:>5} {r['rss_mib']:>6.0f}")
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--orders', type=int, nargs='+', default=[500])
    parser.add_argument('--output',
        default=str(Path(__file__).parent / 'results' / 'approval.txt'))
    options = parser.parse_args(argv)
    rows = [run(n) for n in options.orders]
    text = report(rows)
    Path(options.output).write_text(text)
    print(text, end='')


if __name__ == '__main__':
    main()
