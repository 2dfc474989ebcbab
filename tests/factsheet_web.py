"""A copy of the fact sheet's web, years later: every cited host as a real site might answer.

Each host of ``sources.toml`` gets a :class:`farm.Host` on 127.0.0.1; :func:`build` fills them
with the answers below and returns what a correct checker must say about each citation. Used
by the integration tests (and reusable by later ones: history, archive, fix).
"""

from __future__ import annotations

from dataclasses import dataclass

from farm import Farm, Reply, Request, Route
from pdfgen import make_pdf

KFW_PATH = (
    "/PDF/Download-Center/Konzernthemen/Research/PDF-Dokumente-Fokus-Volkswirtschaft/"
    "Fokus-2021/Fokus-Nr.-318-Februar-2021-KI.pdf"
)
DE_DIGITAL_DIR = "/DIGITAL/Redaktion/DE/Digitalisierungsindex/Publikationen/"
HERAUSFORDERUNGEN = (
    DE_DIGITAL_DIR + "publikation-download-ki-herausforderungen.pdf?__blob=publicationFile&v=3"
)
GESCHAEFTSMODELLE = (
    DE_DIGITAL_DIR
    + "publikation-download-ki-geschaeftsmodellinnovationen.pdf?__blob=publicationFile&v=4"
)
BMWK_NEW = "https://www.bmwk.de/Redaktion/DE/Publikationen/Digitale-Welt/ki-herausforderungen.pdf"
EUROSTAT_NEW = "https://ec.europa.eu/eurostat/cache/metadata/en/isoc_e_esms_2024.htm"
PLS_VIDEOS_NEW = "https://videos.plattform-lernende-systeme.de/tutorials/"
SLOW_SECONDS = 60.0


@dataclass(frozen=True)
class Expected:
    """What the checker must report for one source."""

    status: str
    new_url: str | None = None
    why: str = ""


EXPECTED: dict[str, Expected] = {
    "eurostat-isoc-e-esms": Expected("moved", EUROSTAT_NEW, "301 with a relative Location"),
    "kfw-fokus-318": Expected("ok", None, "PDF, title hyphenated on page 1, junk metadata"),
    "bvmw-gd-ki-umfrage-2020": Expected("dead", None, "410 Gone"),
    "bvdw-ki-monitor-2021": Expected("dead", None, "404"),
    "desi-2021-ict-env-survey": Expected("ok", None, "503 once, then 200"),
    "pls-vorreiter": Expected("ok"),
    "pls-ki-fuer-kmu": Expected("ok", None, "302 (temporary) to a good page"),
    "md-ki-trainer": Expected("dead", None, "relaunch: every old path redirects home"),
    "pls-ki-in-deutschland": Expected("ok"),
    "sdil-sdi-c": Expected("dead", None, "'not found' page with status 200"),
    "ml2r-transfer": Expected("unreachable", None, "nothing listens"),
    "bmas-zukunftszentren": Expected("ok", None, "429 with Retry-After once, then 200"),
    "digitalhub-ai": Expected("ok", None, "site root on a catch-all host: never soft 404"),
    "ki-transfer-plus-regionalzentren": Expected("unreachable", None, "slower than any timeout"),
    "whatcanaidoforme": Expected("blocked", None, "403 to everything"),
    "pls-video-tutorials": Expected("moved", PLS_VIDEOS_NEW, "301 to another host"),
    "acatech-ki-im-mittelstand": Expected("ok", None, "title in <title> and <h1>"),
    "bmwk-ki-herausforderungen": Expected("moved", BMWK_NEW, "308 to another host, title right"),
    "bmwk-ki-geschaeftsmodellinnovationen": Expected("drifted", None, "landing page, not PDF"),
    "acatech-fb4-0-ki-in-kmu": Expected("ok", None, "title split over <h1> and <h2>"),
    "pls-booklet-kmu": Expected("drifted", None, "another PDF at the old URL"),
    "wik-kurzstudie-ki-im-mittelstand": Expected("ok", None, "octet-stream PDF, XMP title"),
    "uni-saarland-ki-mittelstand-2019": Expected("dead", None, "redirects to an error page"),
}

NOT_FOUND_DE = Reply.html(
    "<h1>Seite nicht gefunden</h1><p>Die angeforderte Seite existiert nicht.</p>",
    status=404,
    title="Seite nicht gefunden",
)


def _validated(reply: Reply, etag: str) -> Route:
    """``reply`` with an ETag and Last-Modified; 304 to a request that names them."""
    modified = "Mon, 15 Feb 2021 09:00:00 GMT"
    headers = {**reply.headers, "ETag": etag, "Last-Modified": modified}

    def answer(request: Request) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(status=304, headers={"ETag": etag, "Last-Modified": modified})
        return Reply(
            status=reply.status,
            headers=headers,
            body=reply.body,
            content_type=reply.content_type,
        )

    return answer


def _page(title: str, body: str) -> Reply:
    return Reply.html(f"<h1>{title}</h1><p>{body}</p>", title=title)


def build(farm: Farm, *, slow_seconds: float = SLOW_SECONDS) -> dict[str, Expected]:
    """Start one host per cited host (plus the hosts moved to) and return :data:`EXPECTED`."""
    kfw_pdf = make_pdf(
        [
            "KfW Research\nFokus Volkswirtschaft Nr. 318, 18. Februar 2021\n"
            "K\u00fcnstliche Intelligenz: hohe Wachstums-\nchancen, aber geringe "
            "Verbreitung im Mittelstand\nAutor: Dr. Volker Zimmermann",
            "Seite 2: KI in Zahlen",
        ],
        title="Microsoft Word - Fokus_318_final.docx",
    )
    farm.add_host("www.kfw.de", {KFW_PATH: _validated(Reply.pdf(kfw_pdf), '"kfw-318-v1"')})
    farm.add_host(
        "ec.europa.eu",
        {
            "/eurostat/cache/metadata/en/isoc_e_esms.htm": Reply.redirect(
                "isoc_e_esms_2024.htm", 301
            ),
            "/eurostat/cache/metadata/en/isoc_e_esms_2024.htm": _page(
                "Artificial intelligence in enterprises (isoc_e)", "Reference metadata."
            ),
        },
    )
    farm.add_host(
        "gemeinsam-digital.de",
        {"/app/uploads/2020/07/ki-umfrage_bvwm_gd.pdf": Reply.html("Gone", status=410)},
    )
    farm.add_host("www.bvdw.org")  # everything 404
    farm.add_host(
        "digital-strategy.ec.europa.eu",
        {
            "/en/library/survey-contribution-ict-environmental-sustainability-actions-eu-enterprises": [  # noqa: E501
                Reply.html("Service Unavailable", status=503),
                _page("Survey on the contribution of ICT", "Shaping Europe's digital future"),
            ]
        },
    )
    pls_booklet_now = make_pdf(
        ["Plattform Lernende Systeme\nKI in der Arbeitswelt\nWhitepaper 2024"],
        title="KI in der Arbeitswelt",
    )
    farm.add_host(
        "www.plattform-lernende-systeme.de",
        {
            "/vorreiter.html": _page("KI-Vorreiter im Mittelstand", "Best-Practice-Beispiele."),
            "/ki-fuer-kmu.html": Reply.redirect("/ki-fuer-kmu-2025.html", 302),
            "/ki-fuer-kmu-2025.html": _page("KI f\u00fcr KMU", "Angebote f\u00fcr KMU."),
            "/ki-in-deutschland.html": _page("KI-Landkarte", "Anwendungen und Projekte."),
            "/video-tutorials.html": Reply.redirect(PLS_VIDEOS_NEW, 301),
            "/files/Downloads/Publikationen/PLS_Booklet_KMU.pdf": Reply.pdf(pls_booklet_now),
        },
        fallback=NOT_FOUND_DE,
    )
    farm.add_host(
        "videos.plattform-lernende-systeme.de",
        {"/tutorials/": _page("Video-Tutorials zu KI", "Einstieg in KI-Systeme.")},
    )

    def relaunched(request: Request) -> Reply:
        if request.path == "/":
            return _page("Mittelstand-Digital", "Willkommen beim neuen Portal.")
        return Reply.redirect("/", 301)

    farm.add_host("www.mittelstand-digital.de", fallback=relaunched)

    def soft_404(request: Request) -> Reply:
        if request.path == "/":
            return _page("Smart Data Innovation Lab", "Startseite")
        return Reply.html(
            f"<h1>Seite nicht gefunden</h1><p>Die Seite {request.path} gibt es nicht.</p>",
            title="SDIL - Seite nicht gefunden",
        )

    farm.add_host("www.sdil.de", fallback=soft_404)
    farm.add_host(
        "www.bmas.de",
        {
            "/DE/Arbeit/Digitalisierung-der-Arbeitswelt/Austausch-mit-der-betrieblichen-Praxis/"
            "Zukunftszentren/zukunftszentren.html": [
                Reply(status=429, headers={"Retry-After": "1"}, body=b"slow down"),
                _page("Zukunftszentren", "Regionale Zukunftszentren."),
            ]
        },
        fallback=NOT_FOUND_DE,
    )
    farm.add_host(
        "digitalhub-ai.de",
        fallback=_page("Digital Hub angewandte KI", "Karlsruhe"),
    )
    farm.add_host(
        "www.ki-transfer-plus.de",
        fallback=Reply(status=200, body=b"too late", delay=slow_seconds),
    )
    farm.add_host("whatcanaidoforme.com", fallback=Reply.html("Forbidden", status=403))
    farm.add_host(
        "www.acatech.de",
        {
            "/publikation/ki-im-mittelstand-potenziale-erkennen-voraussetzungen-schaffen-"
            "transformation-meistern/": Reply.html(
                "<h1>KI im Mittelstand \u2013 Potenziale erkennen, Voraussetzungen schaffen, "
                "Transformation meistern</h1><p>acatech IMPULS</p>",
                title="KI im Mittelstand \u2013 Potenziale erkennen, Voraussetzungen "
                "schaffen, Transformation meistern - acatech",
            ),
            "/publikation/fb4-0-ki-in-kmu/": Reply.html(
                "<h1>K\u00fcnstliche Intelligenz zur Umsetzung von Industrie 4.0 im "
                "Mittelstand</h1><h2>Expertise und Leitfaden zur Expertise des "
                "Forschungsbeirats der Plattform Industrie 4.0</h2>",
                title="acatech \u2013 Publikationen",
            ),
        },
        fallback=NOT_FOUND_DE,
    )
    bmwk_pdf = make_pdf(
        [
            "Herausforderungen beim Einsatz von K\u00fcnstlicher Intelligenz\n"
            "Ergebnisse einer Befragung von jungen und mittelst\u00e4ndischen Unternehmen "
            "in Deutschland"
        ],
        title="Herausforderungen beim Einsatz von K\u00fcnstlicher Intelligenz",
    )
    farm.add_host(
        "www.de.digital",
        {
            HERAUSFORDERUNGEN: Reply.redirect(BMWK_NEW, 308),
            GESCHAEFTSMODELLE: Reply.html(
                "<h1>Publikation: K\u00fcnstliche Intelligenz</h1>"
                "<p>Diese Publikation ist vergriffen. Zur \u00dcbersicht der Publikationen.</p>",
                title="Publikationen - de.digital",
            ),
        },
        fallback=NOT_FOUND_DE,
    )
    farm.add_host(
        "www.bmwk.de",
        {
            "/Redaktion/DE/Publikationen/Digitale-Welt/ki-herausforderungen.pdf": _validated(
                Reply.pdf(bmwk_pdf), '"bmwk-ki-1"'
            )
        },
    )
    wik_pdf = make_pdf(
        [
            "WIK Consult Kurzstudie\nImplementierung von KI im Mittelstand \u2013 Die "
            "Verf\u00fcgbar-\nkeit von Trainingsdaten und F\u00f6rderung offener "
            "Datenstrukturen"
        ],
        xmp_title="Implementierung von KI im Mittelstand",
    )
    farm.add_host(
        "www.wik.org",
        {
            "/uploads/media/WIK_Kurzstudie-KI-im-Mittelstand.pdf": _validated(
                Reply(body=wik_pdf, content_type="application/octet-stream"), '"wik-2021"'
            )
        },
    )

    def uni(request: Request) -> Reply:
        if request.path.startswith("/fehler/404"):
            return _page("Seite nicht gefunden", "Universit\u00e4t des Saarlandes")
        return Reply.redirect("https://www.uni-saarland.de/fehler/404/", 302)

    farm.add_host("www.uni-saarland.de", fallback=uni)
    return EXPECTED


def remap_args(farm: Farm) -> list[str]:
    """``--remap`` arguments for every host of the farm, plus the host where nothing listens."""
    return [*farm.remap_args(), "--remap", farm.closed_port_rule("www.ml2r.de")]


ARCHIVE_API = "https://archive.org/wayback/available"
SNAPSHOT_TIME = "20210215093000"


def snapshot_url(url: str) -> str:
    """The Wayback URL of the fake archive's copy of ``url``."""
    return f"https://web.archive.org/web/{SNAPSHOT_TIME}/{url}"


def build_archive(farm: Farm, sources: dict[str, tuple[str, str | None]]) -> None:
    """A fake Wayback Machine: the availability API and one snapshot per cited URL.

    ``sources`` maps a cited URL to (its kind, its expected title); each snapshot shows
    the title (as a PDF for PDFs), as the archived original did.
    """
    import json
    from urllib.parse import parse_qs, urlsplit

    def available(request: Request) -> Reply:
        query = parse_qs(urlsplit(request.path).query)
        url = query.get("url", [""])[0]
        closest = (
            {
                "available": True,
                "url": snapshot_url(url),
                "timestamp": SNAPSHOT_TIME,
                "status": "200",
            }
            if url in sources
            else None
        )
        body = {"url": url, "archived_snapshots": {"closest": closest} if closest else {}}
        return Reply(body=json.dumps(body).encode(), content_type="application/json")

    def snapshot(request: Request) -> Reply:
        original = request.path.split(f"/web/{SNAPSHOT_TIME}/", 1)[-1]
        kind, title = sources.get(original, ("html", None))
        if kind == "pdf":
            return Reply.pdf(make_pdf([title or "Archivkopie"]))
        return _page(title or "Archivkopie", "Archivierte Seite")

    farm.add_host("archive.org", {"/wayback/available": available}, fallback=available)
    farm.add_host("web.archive.org", fallback=snapshot)
