"""Open data: exports, feeds, search and statistics of consultations."""
