"""The decisions store (resolutions, sign-offs, waivers) and its hash chain: read by ingestion
(waivers release quarantined rows) and by the reconciliation, so it sits below both."""
