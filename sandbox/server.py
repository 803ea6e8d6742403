"""Serve a WSGI app from a background thread (tests, demo, benchmarks)."""
import threading

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    "No access log line per request (benchmarks make thousands)."

    def log_request(self, *args, **kwargs):
        pass


def serve_in_thread(app, host='127.0.0.1', port=0, quiet=True):
    """Start a threaded server; return ``(base_url, stop)``.

    ``port=0`` picks a free port.  ``stop()`` shuts the server down and
    waits for its thread.
    """
    server = make_server(
        host, port, app, threaded=True,
        request_handler=QuietHandler if quiet else None)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, name=f'sandbox-{server.port}',
        daemon=True)
    thread.start()
    base_url = f'http://{host}:{server.port}'

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return base_url, stop
