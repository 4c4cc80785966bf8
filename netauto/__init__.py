"""netauto: network planning and SDN configuration automation for government extranets."""
