"""nswp-survey: NSWP's annual member survey on KoboToolbox, from XLSForm to M&E indicators."""

__version__ = "0.1.0"
