"""The self-contained HTML report on a warehouse (``clickstream report``)."""
