"""Synthetic NSWP member organisations: where they work, their language, what they write.

Pure data and one `MemberAnswerer` that tells `forms.filler.FormFiller` how a member would
answer the questions whose answers depend on who it is: its region and country, its
member code, its preferred language, and free text written in that language. Everything
else the filler draws at random within the form's own choices and constraints.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nswp_survey.forms.questions import FormModel, Question

LANGUAGES = ("en", "fr", "es", "ru", "zh")
REGION_LANGUAGE = {"africa": "en", "asia_pacific": "en", "europe": "en", "lac": "es", "nac": "en"}
COUNTRY_LANGUAGE = {
    **dict.fromkeys("BEN BDI CMR CIV COD MDG SEN BEL FRA CHE HTI XAF".split(), "fr"),
    **dict.fromkeys("ARM GEO KAZ KGZ MDA RUS TJK UKR".split(), "ru"),
    **dict.fromkeys("CHN HKG".split(), "zh"),
    **dict.fromkeys("BRA DOM ESP".split(), "es"),
}
# ISO 3166 alpha-3 -> alpha-2 for the countries of the survey's list; member codes start with it.
_ISO2 = dict(
    pair.split(":")
    for pair in (
        "BEN:BJ BWA:BW BDI:BI CMR:CM CIV:CI COD:CD SWZ:SZ ETH:ET GHA:GH KEN:KE LSO:LS MDG:MG "
        "MWI:MW MOZ:MZ NAM:NA NGA:NG RWA:RW SEN:SN ZAF:ZA TZA:TZ UGA:UG ZMB:ZM ZWE:ZW AUS:AU "
        "BGD:BD KHM:KH CHN:CN FJI:FJ HKG:HK IND:IN IDN:ID JPN:JP MYS:MY MNG:MN MMR:MM NPL:NP "
        "NZL:NZ PAK:PK PNG:PG PHL:PH KOR:KR LKA:LK THA:TH VNM:VN ARM:AM AUT:AT BEL:BE CZE:CZ "
        "FRA:FR GEO:GE DEU:DE HUN:HU IRL:IE ITA:IT KAZ:KZ KGZ:KG MNE:ME NLD:NL MKD:MK NOR:NO "
        "POL:PL MDA:MD ROU:RO RUS:RU SRB:RS ESP:ES SWE:SE CHE:CH TJK:TJ TUR:TR UKR:UA GBR:GB "
        "ARG:AR BOL:BO BRA:BR CHL:CL COL:CO CRI:CR ECU:EC SLV:SV GTM:GT HND:HN MEX:MX NIC:NI "
        "PAN:PA PRY:PY PER:PE URY:UY VEN:VE ATG:AG BHS:BS BRB:BB BLZ:BZ CAN:CA DMA:DM DOM:DO "
        "GRD:GD GUY:GY HTI:HT JAM:JM KNA:KN LCA:LC VCT:VC SUR:SR TTO:TT USA:US"
    ).split()
)
# Short reports of a change in law, policy or practice, naming no one, in each language.
PHRASES = {
    "en": (
        "Parliament debated a bill that would criminalise the purchase of sex.",
        "Police raids on venues increased after a new city ordinance.",
        "The health ministry removed mandatory HIV testing for sex workers.",
        "A court ruled that sex workers can register as self-employed.",
        "New anti-trafficking rules made it harder for migrant sex workers to travel.",
        "Sex worker organisations were consulted on the national HIV strategy.",
    ),
    "fr": (
        "Le parlement a débattu d'un projet de loi pénalisant l'achat de services sexuels.",
        "Les descentes de police dans les bars ont augmenté après un nouvel arrêté municipal.",
        "Le ministère de la santé a supprimé le dépistage obligatoire du VIH.",
        "Un tribunal a reconnu le droit des travailleuses du sexe à s'enregistrer.",
        "Les nouvelles règles contre la traite compliquent les déplacements des migrantes.",
        "Les organisations de travailleurs du sexe ont été consultées sur le plan VIH.",
    ),
    "es": (
        "El congreso debatió un proyecto de ley que penaliza la compra de sexo.",
        "Aumentaron las redadas policiales tras una nueva ordenanza municipal.",
        "El ministerio de salud eliminó las pruebas obligatorias de VIH.",
        "Un tribunal reconoció a las trabajadoras sexuales como trabajadoras autónomas.",
        "Las nuevas normas contra la trata dificultan los viajes de las migrantes.",
        "Se consultó a las organizaciones de trabajadoras sexuales sobre el plan de VIH.",
    ),
    "ru": (
        "Парламент обсуждал законопроект о криминализации покупки секс-услуг.",
        "После нового городского постановления участились полицейские рейды.",
        "Министерство здравоохранения отменило обязательное тестирование на ВИЧ.",
        "Суд признал право секс-работников регистрироваться как самозанятые.",
        "Новые правила против торговли людьми осложнили поездки мигрантов.",
        "Организации секс-работников участвовали в обсуждении национальной программы по ВИЧ.",
    ),
    "zh": (
        "议会讨论了一项将购买性服务入罪的法案。",
        "新的市政条例出台后，警察突击检查明显增加。",
        "卫生部取消了对性工作者的强制艾滋病检测。",
        "法院裁定性工作者可以登记为自雇人士。",
        "新的反贩运规定使移民性工作者出行更加困难。",
        "性工作者组织参与了国家艾滋病战略的咨询。",
    ),
}
# Answers a member gives more often than chance: (question name, value, probability).
# Most NSWP members are sex-worker-led (domain.md §2): lean the shares that make `sw_led`.
LEANINGS = (
    ("consent", "yes", 0.97),
    ("any_change", "yes", 0.6),
    ("sw_board_share", "60_plus", 0.75),
    ("sw_spokes_share", "60_plus", 0.8),
    ("sw_staff_share", "60_plus", 0.7),
)


@dataclass(frozen=True)
class Member:
    """One simulated member organisation."""

    region: str
    country: str
    language: str
    code_prefix: str
    code: str | None = None  # a register member's own code; None draws one from the prefix


def _items(model: FormModel, list_name: str) -> list[dict[str, str]]:
    instance = model.instances.get(list_name)
    root = instance.find("root") if instance is not None else None
    return [{c.name: c.value for c in item.children} for item in (root.children if root else [])]


def draw_member(model: FormModel, rng: random.Random) -> Member:
    """A member in a random region (uniform) and one of that region's countries."""
    regions = [item["name"] for item in _items(model, "region")] or sorted(REGION_LANGUAGE)
    region = rng.choice(regions)
    countries = [i["name"] for i in _items(model, "country") if i.get("region") == region]
    country = rng.choice(countries) if countries else ""
    language = COUNTRY_LANGUAGE.get(country, REGION_LANGUAGE.get(region, "en"))
    prefix = _ISO2.get(country, (country or region)[:2].upper())
    return Member(region, country, language, prefix)


class MemberAnswerer:
    """Answers as `member` would; `used_codes` keeps member codes unique across members."""

    def __init__(self, member: Member, rng: random.Random, used_codes: set[str]) -> None:
        self.member, self.rng, self.used_codes = member, rng, used_codes

    def preferred(self, question: Question, options: Sequence[str]) -> Sequence[str]:
        for name, value, chance in LEANINGS:
            if question.name == name and value in options:
                return [value] if self.rng.random() < chance else []
        member = self.member
        if member.language in options and set(options) >= set(LANGUAGES):
            return [member.language]
        if question.kind == "select_one":
            return [v for v in (member.region, member.country) if v and v in options][:1]
        return []

    def texts(self, question: Question) -> Sequence[str]:
        member, rng = self.member, self.rng
        if member.code and "code" in question.name:
            return [member.code]
        codes = [f"{member.code_prefix}-{rng.randint(1, 9999):04d}" for _ in range(5)]
        phrases = PHRASES.get(member.language, PHRASES["en"])
        text = " ".join(rng.sample(phrases, rng.randint(1, 2)))
        place = member.country.lower() or "global"
        url = f"https://news.example.org/{place}/{rng.randint(2023, 2026)}/{rng.randint(100, 999)}"
        return [*codes, url] if "code" in question.name else [text, url]

    def accept(self, question: Question, value: str) -> bool:
        if "code" not in question.name or value == self.member.code:
            return True
        if value in self.used_codes:
            return False
        self.used_codes.add(value)
        return True


# --- the small "member pulse" form (forms/demo_pulse.xlsx) -------------------------------
# Tests and benchmarks use it where the annual survey's size would only cost time: answers
# are drawn directly, without the XForm-driven filler.

PULSE_FORM = Path(__file__).resolve().parent.parent / "forms" / "demo_pulse.xlsx"
PULSE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "africa": ("KEN", "ZAF", "NGA", "UGA", "ZWE", "SEN"),
    "asia_pacific": ("THA", "IND", "IDN", "PHL", "KHM", "NZL"),
    "europe": ("DEU", "FRA", "ESP", "KGZ", "RUS", "GBR"),
    "lac": ("ARG", "BRA", "COL", "MEX", "PER", "ECU"),
    "nac": ("CAN", "USA", "JAM", "GUY", "DOM", "TTO"),
}
PULSE_LAW_AREAS = ("criminal", "health", "labour", "migration", "other")
PULSE_DIRECTIONS = ("positive", "negative", "mixed")


def pulse_answers(rng: random.Random, index: int) -> dict[str, object]:
    """Plausible answers of one member organisation to the pulse form."""
    region = rng.choice(sorted(PULSE_COUNTRIES))
    if rng.random() < 0.03:
        return {"consent": "no"}
    changes = [
        {"law_area": rng.choice(PULSE_LAW_AREAS), "law_direction": rng.choice(PULSE_DIRECTIONS)}
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))
    ]
    return {
        "consent": "yes",
        "member_code": f"{region[:3].upper()}-{index % 1000:03d}",
        "org/region": region,
        "org/country": rng.choice(PULSE_COUNTRIES[region]),
        "org/sw_led": "yes" if rng.random() < 0.85 else "no",
        "org/leaders_mentored": str(rng.randint(0, 25)),
        "law_changes": changes,
    }
