"""Local WSGI servers speaking the ShipStation V1 and Square v2 contracts.

Pure Python (werkzeug); never imports trytond.  ``fixtures`` holds the
seeded business data both sandboxes and the Tryton demo share.
"""
