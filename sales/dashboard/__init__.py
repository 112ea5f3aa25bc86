"""What the dashboard page and the metrics API share: the filter bar, the cards, links and cache."""
