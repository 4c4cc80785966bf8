"""netauto: network planning and SDN configuration automation for government extranets."""

__version__ = "0.1.0"
