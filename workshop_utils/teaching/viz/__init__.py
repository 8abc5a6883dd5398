"""Plot helpers for the notebooks, one module per topic; every function returns a matplotlib Figure."""
