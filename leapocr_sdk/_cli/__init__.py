"""The pieces of the ``leapocr`` command; its entry point is :func:`leapocr_sdk.cli.main`."""
