"""The public surface of pixcrawler.utility.compress."""

from pixcrawler.utility import compress


def test_all_names_every_public_object() -> None:
    # ruff (RUF022) keeps ``__all__`` sorted; here it must list exactly the public names.
    public = {name for name in vars(compress) if not name.startswith("_")}

    assert public == set(compress.__all__)
    assert len(compress.__all__) == len(set(compress.__all__))
