"""Service side of PixCrawler: job database, dataset storage, and the layers that serve them."""
