"""Discovery, download, labelling and dataset layout."""
