"""Each engine's spelling of one search result: the rows, items and entries its pages carry.

Openverse and Wikimedia rows carry licences (chosen per result by its seed); Baidu obfuscates
its image URLs; DuckDuckGo's result pages insist on the ``vqd`` token its search page issued.
"""

from __future__ import annotations

import hashlib
import html
import json
from urllib.parse import quote

from .world_results import Result, seed

#: Openverse ``license`` codes with their version and deed, chosen per result by its seed.
OPENVERSE_LICENSES = (
    ("by", "4.0", "https://creativecommons.org/licenses/by/4.0/"),
    ("cc0", "1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    ("by-sa", "2.0", "https://creativecommons.org/licenses/by-sa/2.0/"),
    ("by-nc", "3.0", "https://creativecommons.org/licenses/by-nc/3.0/"),
    ("pdm", "1.0", "https://creativecommons.org/publicdomain/mark/1.0/"),
)
#: Commons ``LicenseShortName`` values and ``LicenseUrl`` (None: Commons sends no URL).
WIKIMEDIA_LICENSES = (
    ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0"),
    ("CC0", "http://creativecommons.org/publicdomain/zero/1.0/deed.en"),
    ("CC BY 2.0", "https://creativecommons.org/licenses/by/2.0"),
    ("Public domain", None),
    ("GFDL", "http://www.gnu.org/copyleft/fdl.html"),
)
# Baidu's objURL obfuscation (the inverse of pixcrawler's decode_obj_url).
_BAIDU_CHARS = str.maketrans(
    "abcdefghijklmnopqrstuvw1234567890", "wkv1ju2it3hs4g5rq6fp7eo8dn9cm0bla"
)
_BAIDU_TOKENS = ((":", "_z2C$q"), (".", "_z&e3B"), ("/", "AzdH3F"))


def openverse_row(r: Result) -> dict[str, object]:
    code, version, deed = OPENVERSE_LICENSES[r.seed % len(OPENVERSE_LICENSES)]
    creator = f"photographer{r.seed % 97}"
    identifier = hashlib.md5(r.url.encode(), usedforsecurity=False).hexdigest()
    names = {"cc0": "CC0 1.0", "pdm": "Public Domain Mark 1.0"}
    name = names.get(code, f"CC {code.upper()} {version}")
    return {
        "id": identifier,
        "title": r.title,
        "foreign_landing_url": r.page_url,
        "url": r.url,
        "creator": creator,
        "creator_url": f"https://www.flickr.com/photos/{creator}",
        "license": code,
        "license_version": version,
        "license_url": deed,
        "provider": "flickr",
        "source": "flickr",
        "category": "photograph",
        "filetype": "jpg",
        "tags": [{"accuracy": None, "name": r.query.split()[0], "unstable__provider": "flickr"}],
        "attribution": f'"{r.title}" by {creator} is licensed under {name}. To view a copy of '
        f"this license, visit {deed}.",
        "mature": False,
        "height": 128,
        "width": 128,
        "thumbnail": f"https://api.openverse.org/v1/images/{identifier}/thumb/",
        "detail_url": f"https://api.openverse.org/v1/images/{identifier}/",
    }


def wikimedia_page(r: Result) -> dict[str, object]:
    name, deed = WIKIMEDIA_LICENSES[r.seed % len(WIKIMEDIA_LICENSES)]
    file_name = f"{r.title.replace('#', 'no. ')}.jpg"
    metadata: dict[str, dict[str, str]] = {
        "ImageDescription": {"value": f"<p>{html.escape(r.title)}</p>", "source": "commons"},
        "Artist": {
            "value": f'<a href="//commons.wikimedia.org/wiki/User:Example{r.seed % 89}" '
            f'title="User:Example{r.seed % 89}">Example {r.seed % 89}</a>',
            "source": "commons-desc-page",
        },
        "LicenseShortName": {"value": name, "source": "commons-desc-page", "hidden": ""},
        "AttributionRequired": {"value": "true", "source": "commons-desc-page", "hidden": ""},
    }
    if deed is not None:
        metadata["LicenseUrl"] = {"value": deed, "source": "commons-desc-page", "hidden": ""}
    description = f"https://commons.wikimedia.org/wiki/File:{quote(file_name.replace(' ', '_'))}"
    return {
        "pageid": r.seed % 10**8,
        "ns": 6,
        "title": f"File:{file_name}",
        "index": r.index + 1,
        "imagerepository": "local",
        "imageinfo": [
            {
                "size": 4096,
                "width": 128,
                "height": 128,
                # The original is narrower than iiurlwidth, so the "thumbnail" is the original.
                "thumburl": r.url,
                "thumbwidth": 128,
                "thumbheight": 128,
                "url": r.url,
                "descriptionurl": description,
                "mime": "image/jpeg",
                "extmetadata": metadata,
            }
        ],
    }


def bing_item(r: Result) -> str:
    thumb = f"https://tse1.mm.bing.net/th?id=OIP.{r.seed:x}&pid=15.1"
    metadata = {
        "sid": "",
        "cturl": "",
        "cid": f"{r.seed:x}",
        "purl": r.page_url,
        "murl": r.url,
        "turl": thumb,
        "md5": hashlib.md5(r.url.encode(), usedforsecurity=False).hexdigest(),
        "shkey": "",
        "t": f"\ue000{r.query}\ue001 #{r.index + 1}",  # Bing highlights the query terms
        "mid": f"MID{r.seed:x}",
        "desc": "",
    }
    m = html.escape(json.dumps(metadata, ensure_ascii=False))
    return (
        f'<li data-idx="{r.index + 1}"><div class="iuscp isv"><div class="imgpt">'
        f'<a class="iusc" style="height:180px;width:240px" m="{m}" '
        f'href="/images/search?view=detailV2&amp;q={quote(r.query)}&amp;FORM=IRPRST">'
        f'<div class="img_cont hoff"><img class="mimg" height="180" width="240" '
        f'src="{html.escape(thumb)}" alt="{html.escape(r.query)}" /></div></a>'
        '<div class="img_info hon"><span class="nowrap">128 x 128 · jpeg</span></div>'
        "</div></div></li>"
    )


def duckduckgo_vqd(text: str) -> str:
    """The ``vqd`` token the world's DuckDuckGo issues for ``text`` (and then insists on)."""
    return f"4-{seed('vqd', text)}"


def duckduckgo_row(r: Result) -> dict[str, object]:
    token = hashlib.sha256(r.url.encode()).hexdigest()
    return {
        "height": 128,
        "image": r.url,
        "image_token": token,
        "source": "Bing",
        "thumbnail": f"https://tse2.mm.bing.net/th?id=OIP.{r.seed:x}&pid=Api",
        "thumbnail_token": token[::-1],
        "title": r.title,
        "url": r.page_url,
        "width": 128,
    }


def google_entry(r: Result) -> str:
    thumb = f"https://encrypted-tbn0.gstatic.com/images?q\\u003dtbn:ANd9GcR{r.seed:x}\\u0026s"
    block = (
        f'{{"2000":[null,"example.org","4KB"],"2003":[null,"Id{r.seed:x}",'
        f'{json.dumps(r.page_url)},{json.dumps(r.title)},null,null,"{r.index + 1}",null,null,'
        f'null,false],"2008":[null,{json.dumps(r.query)}]}}'
    )
    return (
        f'[1,[0,"rid{r.seed:x}",["{thumb}",194,259],[{json.dumps(r.url)},128,128],null,0,'
        f'"rgb(112,88,64)",null,0,{block},null,null,null,null],{json.dumps(r.query)}]'
    )


def baidu_row(r: Result) -> dict[str, object]:
    thumb = f"https://img1.baidu.com/it/u={r.seed % 10**10},{r.index}&fm=253&f=JPEG?w=128&h=128"
    # Baidu obfuscates most objURLs; some come plain, and the parser must take both.
    obj_url = baidu_obfuscate(r.url) if r.index % 2 == 0 else r.url
    return {
        "adType": "0",
        "thumbURL": thumb,
        "middleURL": thumb,
        "hoverURL": thumb,
        "pageNum": r.index + 1,
        "objURL": obj_url,
        "fromURL": baidu_obfuscate(r.page_url),
        "fromURLHost": "www.example.org",
        "width": 128,
        "height": 128,
        "type": "jpg",
        "replaceUrl": [],
        "fromPageTitle": f"<strong>{html.escape(r.query)}</strong>'s photo {r.index + 1}",
        "fromPageTitleEnc": f"{r.query}'s photo {r.index + 1}",
        "di": str(r.seed % 10**10),
    }


def baidu_obfuscate(url: str) -> str:
    """Baidu's ``objURL`` spelling of ``url`` (``http://`` becomes ``ippr_z2C$qAzdH3FAzdH3F``)."""
    value = url.translate(_BAIDU_CHARS)
    for plain, token in _BAIDU_TOKENS:
        value = value.replace(plain, token)
    return value
