"""Swedish words, names and places for bench data that reads like a real tenant's cases."""

from __future__ import annotations

import random
import unicodedata

FIRST_NAMES = [
    "Anna", "Erik", "Sara", "Johan", "Maria", "Lars", "Karin", "Per", "Eva", "Nils",
    "Lena", "Mikael", "Frida", "Ola", "Åsa", "Björn", "Ingrid", "Göran", "Elin", "Oskar",
    "Linnéa", "Måns", "Sofia", "Anders", "Kristina", "Magnus", "Helena", "Fredrik", "Ebba",
    "Gustav", "Astrid", "Henrik", "Malin", "Jörgen", "Ulla", "Stefan", "Therese", "Håkan",
    "Maja", "Viktor", "Ylva", "Rasmus", "Agneta", "Tobias", "Cecilia", "Pär", "Ida", "Kjell",
]  # fmt: skip
LAST_NAMES = [
    "Lindqvist", "Johansson", "Nilsson", "Berg", "Åkesson", "Öberg", "Svensson", "Holm",
    "Lund", "Ström", "Ek", "Sjöberg", "Dahl", "Wik", "Andersson", "Karlsson", "Persson",
    "Eriksson", "Larsson", "Olsson", "Pettersson", "Gustafsson", "Jönsson", "Hedlund",
    "Lindström", "Bergström", "Sandberg", "Forsberg", "Engström", "Håkansson", "Nyström",
    "Björk", "Falk", "Sundqvist", "Ålund", "Söderberg", "Hellström", "Mårtensson", "Wallin",
]  # fmt: skip

# City, latitude, longitude, weight (roughly by population): Malmö to Kiruna.
CITIES = [
    ("Stockholm", 59.3293, 18.0686, 30), ("Göteborg", 57.7089, 11.9746, 18),
    ("Malmö", 55.6050, 13.0038, 12), ("Uppsala", 59.8586, 17.6389, 6),
    ("Västerås", 59.6099, 16.5448, 5), ("Örebro", 59.2753, 15.2134, 5),
    ("Linköping", 58.4108, 15.6214, 5), ("Helsingborg", 56.0465, 12.6945, 5),
    ("Jönköping", 57.7826, 14.1618, 4), ("Norrköping", 58.5877, 16.1924, 4),
    ("Lund", 55.7047, 13.1910, 4), ("Umeå", 63.8258, 20.2630, 4),
    ("Gävle", 60.6749, 17.1413, 3), ("Borås", 57.7210, 12.9401, 3),
    ("Södertälje", 59.1955, 17.6253, 3), ("Eskilstuna", 59.3710, 16.5098, 3),
    ("Halmstad", 56.6745, 12.8578, 3), ("Växjö", 56.8777, 14.8091, 3),
    ("Karlstad", 59.4022, 13.5115, 3), ("Sundsvall", 62.3908, 17.3069, 3),
    ("Luleå", 65.5848, 22.1547, 2), ("Trollhättan", 58.2837, 12.2886, 2),
    ("Östersund", 63.1792, 14.6357, 2), ("Falun", 60.6065, 15.6355, 2),
    ("Kalmar", 56.6634, 16.3568, 2), ("Skellefteå", 64.7507, 20.9528, 2),
    ("Kristianstad", 56.0294, 14.1567, 2), ("Karlskrona", 56.1612, 15.5869, 2),
    ("Visby", 57.6348, 18.2948, 1), ("Kiruna", 67.8558, 20.2253, 1),
    ("Åre", 63.3990, 13.0815, 1), ("Ystad", 55.4295, 13.8200, 1),
]  # fmt: skip
STREETS = [
    "Storgatan", "Drottninggatan", "Kungsgatan", "Skolgatan", "Kyrkogatan", "Järnvägsgatan",
    "Ringvägen", "Björkvägen", "Industrivägen", "Hamngatan", "Åsgatan", "Östra Långgatan",
    "Västra Vägen", "Sjövägen", "Ängsvägen", "Bruksgatan", "Parkvägen", "Nygatan",
]  # fmt: skip
CUSTOMER_WORDS = [
    "Solbacken", "Kvarnen", "Eken", "Lärkan", "Granen", "Björken", "Måsen", "Tallen",
    "Ängen", "Sjöudden", "Fyren", "Hagen", "Linden", "Vallen", "Bäcken", "Åkern", "Kronan",
    "Stjärnan", "Hamnen", "Skogsbrynet", "Ekdungen", "Rönnen", "Lönnen", "Klippan",
]  # fmt: skip
CUSTOMER_FORMS = [
    "Brf {word} {n}", "Fastighets AB {word}", "{word}s Förvaltning AB", "Hyresgästföreningen {city}",
    "{city} Kommun Fastigheter", "{last} Bygg & Service AB", "{word} Hem AB", "Region {city}",
    "{city}hem AB", "Sameföreningen {word}",
]  # fmt: skip
OBJECT_KINDS = [
    "Tvättstuga", "Undercentral värme", "Hiss", "Ventilationsaggregat", "Entréport", "Garage",
    "Soprum", "Värmepump", "Takterrass", "Trapphus", "Fjärrvärmecentral", "Cykelrum",
    "Laddstation", "Brandlarm", "Passagesystem", "Lekplats",
]  # fmt: skip
PROBLEMS = [
    ("Läckage", "läcker vatten vid"), ("Stopp i avlopp", "har stopp i avloppet i"),
    ("Hissen står still", "står still mellan våningarna i"), ("Buller", "bullrar kraftigt i"),
    ("Ingen värme", "ger ingen värme i"), ("Trasig belysning", "har trasig belysning i"),
    ("Dörren går inte att låsa", "går inte att låsa i"), ("Fuktskada", "har fuktskada i"),
    ("Larm utlöst", "har utlöst larm i"), ("Service", "behöver årlig service i"),
    ("Klotter", "har klotter på fasaden vid"), ("Vattenskada", "har vattenskada i"),
    ("Felkod på aggregat", "visar felkod på aggregatet i"), ("Dålig ventilation", "ventileras dåligt i"),
    ("Offertförfrågan", "önskar offert på arbete i"), ("Reklamation", "reklamerar arbete i"),
]  # fmt: skip
SENTENCES = [
    "Kunden ringde in och beskrev problemet utförligt.",
    "Hyresgästen på plan tre har märkt detta sedan i tisdags.",
    "Vi behöver komma in i lägenheten, nyckel finns hos fastighetsskötaren.",
    "Tidigare åtgärd gjordes i våras men felet har återkommit.",
    "Arbetet bör utföras före helgen om möjligt.",
    "Kontakta vaktmästaren innan besöket, portkod finns i systemet.",
    "Reservdelar är beställda från leverantören i Jönköping.",
    "Besiktningen visade att tätningen är sliten och behöver bytas.",
    "Kunden önskar återkoppling per telefon efter åtgärd.",
    "Fotodokumentation bifogas i kundkonversationen.",
    "Det är kallt i flera lägenheter och radiatorerna är ljumma.",
    "Felet uppstår främst på morgonen när många duschar samtidigt.",
    "Garantiärende, kontrollera avtalet innan fakturering.",
    "Tillträde via soprummet på baksidan, hunden är snäll.",
]  # fmt: skip
# One case in a thousand mentions this; the selective search term of the search benchmark.
RARE_SENTENCE = "Misstänkt kondensvatten bakom gipsväggen i förrådet."
COMMENT_LINES = [
    "Jag tar det här i morgon bitti.", "Har beställt material, leverans på torsdag.",
    "Kunden är informerad om tidsplanen.", "Åtgärdat, men vi behöver följa upp om en vecka.",
    "Kan någon med behörighet för hissar titta på detta?", "Fakturaunderlag skickat.",
    "Väntar på svar från kunden.", "Bytte packning och provkörde, fungerar nu.",
]  # fmt: skip


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def city(rng: random.Random) -> tuple[str, float, float]:
    name, lat, lng, _ = rng.choices(CITIES, weights=[c[3] for c in CITIES])[0]
    # Spread around the city centre: a few kilometres to a few tens.
    return name, lat + rng.gauss(0, 0.08), lng + rng.gauss(0, 0.12)


def customer_name(rng: random.Random, city_name: str, n: int) -> str:
    form = rng.choice(CUSTOMER_FORMS)
    return form.format(
        word=rng.choice(CUSTOMER_WORDS), city=city_name, last=rng.choice(LAST_NAMES), n=n
    )


def address(rng: random.Random, city_name: str) -> str:
    return f"{rng.choice(STREETS)} {rng.randint(1, 120)}, {city_name}"


def ascii_fold(text: str) -> str:
    """ "Linnéa Åkesson" -> "Linnea Akesson": handles are ASCII."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
