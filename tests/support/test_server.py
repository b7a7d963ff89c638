"""The fixture server and test images behave as the rest of the suite relies on."""

import http.client
import io
import itertools
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from .images import (
    DISTINCT_PHASH_BITS,
    ImageSet,
    make_gif_animated,
    make_jpeg,
    near_duplicate_of,
    phash,
    truncated,
)
from .server import FixtureServer, Response

CATALOGUE = [
    *(f"ok_{number}" for number in range(1, 6)),
    "ok_png",
    "exact_dup",
    "near_dup",
    "not_found",
    "bad_request",
    "unauthorized",
    "forbidden",
    "rate_limited_then_ok",
    "always_429",
    "flaky_503",
    "always_503",
    "always_504",
    "server_error_500",
    "slow",
    "truncated",
    "html_as_jpeg",
    "redirect_chain",
    "redirect_loop",
    "oversized_declared",
    "oversized_streamed",
    "noai",
    "noimageai",
    "tiny",
    "animated_gif",
    "text_plain",
    "no_content_type",
]
# Modes answering one status every time, with a text body.
CONSTANT_ERRORS = {
    "not_found": 404,
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "always_429": 429,
    "always_503": 503,
    "always_504": 504,
    "server_error_500": 500,
}
# Modes answering 200 with a decodable picture: name -> (Content-Type, format, size).
PICTURES = {
    **{f"ok_{number}": ("image/jpeg", "JPEG", (256, 256)) for number in range(1, 6)},
    "ok_png": ("image/png", "PNG", (256, 256)),
    "exact_dup": ("image/jpeg", "JPEG", (256, 256)),
    "near_dup": ("image/jpeg", "JPEG", (256, 256)),
    "noai": ("image/jpeg", "JPEG", (256, 256)),
    "noimageai": ("image/jpeg", "JPEG", (256, 256)),
    "tiny": ("image/jpeg", "JPEG", (32, 32)),
    "animated_gif": ("image/gif", "GIF", (128, 128)),
    "text_plain": ("text/plain", "JPEG", (256, 256)),
    "no_content_type": (None, "PNG", (256, 256)),
}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as open_client:
        yield open_client


def decode(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


# --- routes, counts, sequences ----------------------------------------------------------------


def test_static_route_is_counted_per_path_ignoring_the_query(server, client, images):
    url = server.add("/cat.jpg", images.jpegs[0], headers={"X-Extra": "yes"})

    first = client.get(url)
    client.get(url + "?size=large")

    assert (first.status_code, first.content, first.headers["x-extra"]) == (
        200,
        images.jpegs[0],
        "yes",
    )
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["content-length"] == str(len(images.jpegs[0]))
    assert server.count("/cat.jpg") == server.count(url) == 2


def test_unknown_paths_answer_404_and_are_counted(server, client):
    response = client.get(server.url("/nowhere.jpg"))

    assert response.status_code == 404
    assert server.counts == {"/nowhere.jpg": 1}


def test_head_answers_headers_without_a_body(server, client, images):
    url = server.add("/cat.jpg", images.jpegs[0])

    response = client.head(url)

    assert response.headers["content-length"] == str(len(images.jpegs[0]))
    assert response.content == b""


def test_sequence_answers_in_turn_then_repeats_the_last(server, client, images):
    url = server.add_sequence(
        "/busy.jpg",
        [
            Response(503, b"busy", "text/plain", {"Retry-After": "1"}),
            Response(body=images.jpegs[0]),
        ],
    )

    answers = [client.get(url) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [503, 200, 200]
    assert answers[0].headers["retry-after"] == "1"
    assert answers[2].content == images.jpegs[0]


def test_reset_zeroes_counts_and_rewinds_sequences(server, client):
    url = server.add_sequence("/busy", [Response(status=503), Response(status=200)])
    client.get(url)

    server.reset()

    assert server.count("/busy") == 0
    assert client.get(url).status_code == 503


def test_clear_forgets_routes(server, client):
    url = server.add("/cat.jpg", b"x")

    server.clear()

    assert client.get(url).status_code == 404


def test_unique_paths_never_repeat(server):
    paths = {server.unique_path("cat.jpg") for _ in range(100)}

    assert len(paths) == 100
    assert all(path.endswith("/cat.jpg") for path in paths)


def test_counts_are_exact_under_concurrent_requests(server, images):
    url = server.add("/cat.jpg", images.jpegs[0])

    def fetch_many() -> None:
        with httpx.Client() as own_client:
            for _ in range(25):
                own_client.get(url)

    threads = [threading.Thread(target=fetch_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert server.count("/cat.jpg") == 200


def test_connections_are_kept_alive(server, images):
    server.add("/cat.jpg", images.jpegs[0])
    connection = http.client.HTTPConnection("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]))
    try:
        bodies, sockets = [], []
        for _ in range(3):
            connection.request("GET", "/cat.jpg")
            response = connection.getresponse()
            bodies.append(response.read())
            sockets.append(connection.sock)
            assert not response.will_close
    finally:
        connection.close()

    assert bodies == [images.jpegs[0]] * 3
    assert sockets[0] is sockets[1] is sockets[2]


# --- built-in behaviours ----------------------------------------------------------------------


def test_chunked_body_has_no_content_length(server, client):
    url = server.add_sequence("/stream", [Response(body=b"x" * 100_000, chunked=True)])

    response = client.get(url)

    assert response.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in response.headers
    assert response.content == b"x" * 100_000


def test_streamed_body_is_produced_per_request(server, client):
    url = server.add_sequence(
        "/stream", [Response(stream=lambda: iter([b"ab", b"", b"cd"]), chunked=True)]
    )

    assert [client.get(url).content for _ in range(2)] == [b"abcd", b"abcd"]


def test_streamed_body_needs_a_framing():
    with pytest.raises(ValueError, match="chunked"):
        Response(stream=lambda: [b"x"])


def test_declared_length_is_sent_and_the_connection_closed(server, client, images):
    url = server.add_sequence("/big", [Response(body=images.jpegs[0], declared_length=10**8)])

    with client.stream("GET", url) as response:
        assert response.headers["content-length"] == str(10**8)
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()
    assert client.get(server.add("/after", b"ok")).content == b"ok"


def test_redirect_to_a_path_is_made_absolute(server, client, images):
    server.add("/target.jpg", images.jpegs[0])
    url = server.add_sequence("/moved", [Response(redirect_to="/target.jpg")])

    response = client.get(url)
    followed = client.get(url, follow_redirects=True)

    assert response.status_code == 302
    assert response.headers["location"] == server.url("/target.jpg")
    assert followed.content == images.jpegs[0]


def test_redirect_keeps_an_explicit_3xx_status(server, client):
    url = server.add_sequence("/gone", [Response(status=301, redirect_to="http://example.test/")])

    response = client.get(url)

    assert (response.status_code, response.headers["location"]) == (301, "http://example.test/")


def test_delay_trips_a_short_read_timeout(server, images):
    url = server.add_sequence("/slow.jpg", [Response(body=images.jpegs[0], delay=2.0)])
    started = time.monotonic()

    with (
        httpx.Client(timeout=httpx.Timeout(5.0, read=0.2)) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.get(url)

    assert time.monotonic() - started < 1.5


def test_client_hanging_up_mid_body_is_silent(server, capfd):
    server.add_sequence(
        "/endless", [Response(stream=lambda: itertools.repeat(bytes(2**16), 500), chunked=True)]
    )

    for _ in range(3):
        with (
            httpx.Client() as own_client,
            own_client.stream("GET", server.url("/endless")) as response,
        ):
            next(response.iter_bytes())
    time.sleep(0.2)  # let the handlers hit the closed sockets

    assert capfd.readouterr().err == ""
    assert server.errors == []


def test_stop_wakes_delayed_and_idle_handlers(images):
    fixture = FixtureServer().start()
    fixture.add_sequence("/slow", [Response(body=images.jpegs[0], delay=30.0)])
    idle = socket.create_connection(("127.0.0.1", int(fixture.base_url.rsplit(":", 1)[1])))
    waiting = threading.Thread(target=_get_ignoring_errors, args=(fixture.url("/slow"),))
    waiting.start()
    time.sleep(0.2)
    started = time.monotonic()

    fixture.stop()  # returns only once every handler thread has finished

    assert time.monotonic() - started < 2.0
    waiting.join()
    with idle:
        assert idle.recv(1) == b""  # the idle keep-alive connection was closed


def _get_ignoring_errors(url: str) -> None:
    with httpx.Client(timeout=10.0) as own_client, pytest.raises(httpx.HTTPError):
        own_client.get(url)


# --- bulk -------------------------------------------------------------------------------------


def test_bulk_serves_distinct_jpegs_lazily(server, client):
    urls = server.add_bulk("bench", 40)

    bodies = [client.get(url).content for url in urls]

    assert len(set(bodies)) == 40
    assert client.get(urls[7]).content == bodies[7]
    assert {decode(body).size for body in bodies} == {(256, 256)}
    hashes = [phash(body) for body in bodies]
    assert min(a - b for a, b in itertools.combinations(hashes, 2)) > 10
    assert server.count(urls[7]) == 2


@pytest.mark.parametrize("path", ["/bench/40.jpg", "/bench/x.jpg", "/bench/1.png", "/other/1.jpg"])
def test_bulk_answers_404_outside_its_range(server, client, path):
    server.add_bulk("bench", 40)

    assert client.get(server.url(path)).status_code == 404


# --- the failure-mode catalogue ---------------------------------------------------------------


def test_catalogue_names_every_mode(failure_modes, server):
    assert list(failure_modes) == CATALOGUE
    assert all(url.startswith(server.base_url + "/fm/") for url in failure_modes.values())


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_picture_modes_serve_a_decodable_picture(failure_modes, client, name):
    content_type, image_format, size = PICTURES[name]

    response = client.get(failure_modes[name])

    assert response.status_code == 200
    assert response.headers.get("content-type") == content_type
    picture = decode(response.content)
    assert (picture.format, picture.size) == (image_format, size)


@pytest.mark.parametrize("name", sorted(CONSTANT_ERRORS))
def test_error_modes_answer_the_same_status_every_time(failure_modes, client, name):
    answers = [client.get(failure_modes[name]) for _ in range(3)]

    assert {answer.status_code for answer in answers} == {CONSTANT_ERRORS[name]}
    assert answers[0].headers["content-type"] == "text/plain"


def test_rate_limited_modes_ask_to_retry_after_a_second(failure_modes, client):
    limited = [client.get(failure_modes["rate_limited_then_ok"]) for _ in range(3)]
    always = client.get(failure_modes["always_429"])

    assert [answer.status_code for answer in limited] == [429, 200, 200]
    assert limited[0].headers["retry-after"] == always.headers["retry-after"] == "1"
    assert decode(limited[1].content).format == "JPEG"


def test_flaky_503_recovers_on_the_third_request(failure_modes, client):
    answers = [client.get(failure_modes["flaky_503"]) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [503, 503, 200, 200]


def test_slow_mode_waits_before_the_headers(failure_modes):
    with (
        httpx.Client(timeout=httpx.Timeout(5.0, read=0.3)) as impatient,
        pytest.raises(httpx.ReadTimeout),
    ):
        impatient.get(failure_modes["slow"])


def test_broken_content_modes(failure_modes, client):
    broken = client.get(failure_modes["truncated"])
    html = client.get(failure_modes["html_as_jpeg"])

    assert broken.headers["content-type"] == html.headers["content-type"] == "image/jpeg"
    assert broken.content.startswith(b"\xff\xd8")
    with pytest.raises(OSError):
        decode(broken.content)
    assert html.content.lower().startswith(b"<!doctype html")


def test_redirect_modes(failure_modes, client):
    chain = client.get(failure_modes["redirect_chain"], follow_redirects=True)

    assert [hop.status_code for hop in chain.history] == [302, 302, 302]
    assert decode(chain.content).format == "JPEG"
    with pytest.raises(httpx.TooManyRedirects):
        client.get(failure_modes["redirect_loop"], follow_redirects=True)


def test_oversized_declared_announces_100_mb(failure_modes, client):
    with client.stream("GET", failure_modes["oversized_declared"]) as response:
        assert int(response.headers["content-length"]) == 100 * 2**20


def test_oversized_streamed_sends_30_mb_chunked(failure_modes, client):
    with client.stream("GET", failure_modes["oversized_streamed"]) as response:
        assert "content-length" not in response.headers
        assert sum(len(piece) for piece in response.iter_raw()) == 30 * 2**20


def test_ai_opt_out_headers(failure_modes, client):
    assert client.get(failure_modes["noai"]).headers["x-robots-tag"] == "noai"
    assert client.get(failure_modes["noimageai"]).headers["x-robots-tag"] == "noimageai"


def test_animated_gif_has_three_frames(failure_modes, client):
    assert decode(client.get(failure_modes["animated_gif"]).content).n_frames == 3


def test_duplicates_and_only_they_look_alike(failure_modes, client):
    bodies = {name: client.get(failure_modes[name]).content for name in PICTURES}
    hashes = {name: phash(body) for name, body in bodies.items()}

    assert bodies["exact_dup"] == bodies["ok_1"]
    assert bodies["near_dup"] != bodies["ok_2"]
    assert hashes["near_dup"] - hashes["ok_2"] <= 4
    for (name_a, hash_a), (name_b, hash_b) in itertools.combinations(hashes.items(), 2):
        if {name_a, name_b} not in ({"exact_dup", "ok_1"}, {"near_dup", "ok_2"}):
            assert hash_a - hash_b > DISTINCT_PHASH_BITS, (name_a, name_b)


# --- images -----------------------------------------------------------------------------------


def test_images_are_deterministic():
    assert make_jpeg(3) == make_jpeg(3)
    assert make_jpeg(3) != make_jpeg(4)
    assert ImageSet.build() == ImageSet.build()


def test_image_set_is_pairwise_distinct(images):
    hashes = [phash(data) for data in (*images.jpegs, *images.pngs, images.animated_gif)]

    distances = [a - b for a, b in itertools.combinations(hashes, 2)]

    assert min(distances) > DISTINCT_PHASH_BITS


@pytest.mark.parametrize("seed", range(0, 200, 10))
def test_near_duplicate_keeps_the_phash_but_not_the_bytes(seed):
    original = make_jpeg(seed)

    copy = near_duplicate_of(original)

    assert copy != original
    assert phash(copy) - phash(original) <= 4


def test_truncated_keeps_the_first_60_percent():
    original = make_jpeg(1)

    assert truncated(original) == original[: len(original) * 6 // 10]


def test_animated_gif_frames_differ():
    gif = decode(make_gif_animated(5, frames=4))
    frames = []
    for index in range(gif.n_frames):
        gif.seek(index)
        frames.append(gif.convert("RGB").tobytes())

    assert len(set(frames)) == 4
