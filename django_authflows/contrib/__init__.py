"""Framework glue; the only place that imports optional frameworks."""
