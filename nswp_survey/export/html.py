"""One self-contained HTML report per regional pack: cover facts, charts, indicators, law changes.

Opens offline: inline CSS, inline SVG charts (charts.py), no scripts, fonts or images. Readable
on a phone (tables scroll sideways) and printable. Every text is escaped. Written 0600.

Example:
    write_html(pack, folder / f"{pack.stem}.html")
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from nswp_survey.export.charts import bar_chart, stacked_chart
from nswp_survey.export.pack import SENSITIVE_LINE, Pack, write_private

# UI words per language (the tables' own labels come translated in the pack).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "NSWP member survey {year}: {region}", "responses": "Responses",
        "coverage": "Coverage of active members", "countries": "Countries", "tier": "Tier",
        "public": "public (small cells suppressed)", "internal": "internal",
        "sensitive": "This report includes sensitive fields. Do not share it outside the Board "
        "and Secretariat.", "shares": "Headline shares (%)",
        "law_chart": "Legal and policy changes by area and direction",
        "indicators": "Indicators", "law": "Legal and policy changes",
        "suppressed": "A cell shown as “<{n}” counts fewer than {n} organisations and is hidden.",
        "none": "No data.", "generated": "Generated",
    },
    "fr": {
        "title": "Enquête des membres du NSWP {year} : {region}", "responses": "Réponses",
        "coverage": "Couverture des membres actifs", "countries": "Pays", "tier": "Niveau",
        "public": "public (petites cellules masquées)", "internal": "interne",
        "sensitive": "Ce rapport contient des champs sensibles. Ne le partagez pas en dehors du "
        "Conseil et du Secrétariat.", "shares": "Proportions principales (%)",
        "law_chart": "Changements juridiques et politiques par domaine et direction",
        "indicators": "Indicateurs", "law": "Changements juridiques et politiques",
        "suppressed": "Une cellule affichée « <{n} » compte moins de {n} organisations.",
        "none": "Aucune donnée.", "generated": "Généré le",
    },
    "es": {
        "title": "Encuesta de miembros de NSWP {year}: {region}", "responses": "Respuestas",
        "coverage": "Cobertura de miembros activos", "countries": "Países", "tier": "Nivel",
        "public": "público (celdas pequeñas ocultas)", "internal": "interno",
        "sensitive": "Este informe incluye campos sensibles. No lo comparta fuera de la Junta "
        "y la Secretaría.", "shares": "Proporciones principales (%)",
        "law_chart": "Cambios legales y de políticas por área y dirección",
        "indicators": "Indicadores", "law": "Cambios legales y de políticas",
        "suppressed": "Una celda «<{n}» cuenta menos de {n} organizaciones y se oculta.",
        "none": "Sin datos.", "generated": "Generado",
    },
    "ru": {
        "title": "Опрос членов NSWP {year}: {region}", "responses": "Ответы",
        "coverage": "Охват активных членов", "countries": "Страны", "tier": "Уровень",
        "public": "публичный (малые ячейки скрыты)", "internal": "внутренний",
        "sensitive": "Этот отчёт содержит конфиденциальные поля. Не передавайте его за пределы "
        "Правления и Секретариата.", "shares": "Основные доли (%)",
        "law_chart": "Изменения законов и политики по областям и направлениям",
        "indicators": "Индикаторы", "law": "Изменения законов и политики",
        "suppressed": "Ячейка «<{n}» охватывает менее {n} организаций и скрыта.",
        "none": "Нет данных.", "generated": "Создан",
    },
    "zh": {
        "title": "NSWP {year}年成员调查：{region}", "responses": "回复数",
        "coverage": "活跃成员覆盖率", "countries": "国家数", "tier": "级别",
        "public": "公开（小单元格已隐藏）", "internal": "内部",
        "sensitive": "本报告包含敏感字段。请勿在理事会和秘书处之外分享。",
        "shares": "主要比例（%）", "law_chart": "按领域和方向分列的法律和政策变化",
        "indicators": "指标", "law": "法律和政策变化",
        "suppressed": "显示为“<{n}”的单元格涉及少于{n}个组织，已隐藏。",
        "none": "无数据。", "generated": "生成时间",
    },
}  # fmt: skip
REGION_NAMES: dict[str, tuple[str, str, str, str, str]] = {
    "africa": ("Africa", "Afrique", "África", "Африка", "非洲"),
    "asia_pacific": ("Asia-Pacific", "Asie-Pacifique", "Asia-Pacífico",
                     "Азиатско-Тихоокеанский регион", "亚太地区"),
    "europe": ("Europe", "Europe", "Europa", "Европа", "欧洲"),
    "lac": ("Latin America and the Caribbean", "Amérique latine et Caraïbes",
            "América Latina y el Caribe", "Латинская Америка и Карибский бассейн",
            "拉丁美洲和加勒比"),
    "nac": ("North America and the Caribbean", "Amérique du Nord et Caraïbes",
            "América del Norte y el Caribe", "Северная Америка и Карибский бассейн",
            "北美和加勒比"),
    "global": ("Global", "Mondial", "Global", "Весь мир", "全球"),
}  # fmt: skip
ORDER = ("en", "fr", "es", "ru", "zh")
FONTS = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", '
    '"Noto Sans CJK", "PingFang SC", "Microsoft YaHei", "Helvetica Neue", Arial, sans-serif'
)
CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:$FONTS;color:#1c2833;background:#fff;line-height:1.45}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0 .6em}h2{font-size:1.15rem;margin:1.6em 0 .5em}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px;margin:0}
.facts div{background:#f4f6f7;border-radius:6px;padding:8px 10px}
.facts dt{font-size:.8rem;color:#566573}.facts dd{margin:0;font-size:1.1rem;font-weight:600}
.warning{border:2px solid #c0392b;background:#fdedec;color:#78281f;padding:10px;
border-radius:6px;font-weight:600}
.note{color:#566573;font-size:.85rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
figure{margin:0}figcaption{font-weight:600;margin-bottom:6px}
svg.chart{width:100%;height:auto;display:block}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #d5d8dc}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{padding:4px 8px;border-bottom:1px solid #e5e8e8;text-align:left;vertical-align:top}
th{background:#eaeded;position:sticky;top:0}
td.num,td:first-child{white-space:nowrap}td.num{text-align:right}
tr.headline td{font-weight:600;background:#fbfcfc}
@media (max-width:480px){main{padding:10px}h1{font-size:1.25rem}}
@media print{
@page{margin:14mm}
body{font-size:10pt}main{max-width:none;padding:0}
.table-wrap{overflow:visible;border:0}
th{position:static}thead{display:table-header-group}
tr,figure,.facts div{break-inside:avoid}
.warning{border-color:#000;background:none;color:#000}
}
""".replace("$FONTS", FONTS)
NUMERIC = {"value", "numerator", "denominator", "n", "reports"}


def words(lang: str) -> dict[str, str]:
    return WORDS.get(lang, WORDS["en"])


def title(pack: Pack) -> str:
    """The report's heading in the pack's language, e.g. "NSWP member survey 2025: Africa"."""
    names = REGION_NAMES.get(pack.region)
    region = names[ORDER.index(pack.lang)] if names and pack.lang in ORDER else pack.region
    return words(pack.lang)["title"].format(year=pack.year, region=region)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    """A cell as shown: blanks for missing, whole floats as ints, others at most 3 decimals."""
    if _missing(value):
        return ""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.3f}".rstrip("0")
    return str(value)


def _table(frame: pd.DataFrame, lang: str, *, headline: str | None = None) -> str:
    if frame.empty:
        return f'<p class="note">{escape(words(lang)["none"])}</p>'
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in frame.columns)
    rows = []
    for record in frame.to_dict("records"):
        cls = ' class="headline"' if headline and not _text(record.get(headline)) else ""
        cells = "".join(
            f'<td class="num">{escape(_text(v))}</td>' if c in NUMERIC else
            f"<td>{escape(_text(v))}</td>"
            for c, v in record.items()
        )  # fmt: skip
        rows.append(f"<tr{cls}>{cells}</tr>")
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _facts(pack: Pack) -> tuple[dict[str, Any], str]:
    cover = pack.tables.get("cover", pd.DataFrame(columns=["item", "value"]))
    info = dict(zip(cover["item"], cover["value"], strict=True))
    w = words(pack.lang)
    coverage = info.get("coverage (%)")
    items = [
        (w["responses"], _text(info.get("responses"))),
        (w["coverage"], "—" if _missing(coverage) else f"{_text(coverage)}%"),
        (w["countries"], _text(info.get("countries"))),
        (w["tier"], w.get(pack.tier, pack.tier)),
    ]
    cells = "".join(f"<div><dt>{escape(k)}</dt><dd>{escape(v)}</dd></div>" for k, v in items)
    return info, f'<dl class="facts">{cells}</dl>'


def _share_chart(pack: Pack) -> str:
    indicators = pack.tables.get("indicators", pd.DataFrame())
    definitions = pack.tables.get("definitions", pd.DataFrame())
    if indicators.empty or definitions.empty:
        return bar_chart([], words(pack.lang)["shares"])
    kinds = dict(zip(definitions["id"], definitions["kind"], strict=True))
    rows = []
    for record in indicators.to_dict("records"):
        if _text(record["breakdown"]) or kinds.get(record["id"]) != "share":
            continue
        value = record["value"]
        if isinstance(value, str):  # suppressed: shown as the pack shows it
            rows.append((str(record["title"]), None, value))
        elif not _missing(value):
            share = float(value) * 100
            rows.append((str(record["title"]), share, f"{share:.0f}%"))
    return bar_chart(rows, words(pack.lang)["shares"], maximum=100)


def _law_chart(pack: Pack) -> str:
    law = pack.tables.get("law_changes", pd.DataFrame(columns=["area", "direction"]))
    if law.empty:
        return stacked_chart([], [], words(pack.lang)["law_chart"])
    area = law["area"].fillna("").astype(str).replace("", "—")
    direction = law["direction"].fillna("").astype(str).replace("", "—")
    counts = pd.crosstab(area, direction)
    series = [str(s) for s in counts.columns]
    rows = [(str(a), [int(n) for n in counts.loc[a]]) for a in counts.index]
    rows.sort(key=lambda row: -sum(row[1]))
    return stacked_chart(rows, series, words(pack.lang)["law_chart"])


def render_html(pack: Pack) -> str:
    """The whole report as one HTML document (a string)."""
    w = words(pack.lang)
    heading = escape(title(pack))
    info, facts = _facts(pack)
    warning = ""
    if SENSITIVE_LINE in info:
        warning = f'<p class="warning" role="alert">{escape(w["sensitive"])}</p>'
    min_cell = info.get("minimum cell size")
    note = ""
    if pack.tier == "public" and not _missing(min_cell):
        note = f'<p class="note">{escape(w["suppressed"].format(n=_text(min_cell)))}</p>'
    generated = escape(f"{w['generated']}: {_text(info.get('generated at'))}")
    charts = "".join(
        f"<figure><figcaption>{escape(caption)}</figcaption>{svg}</figure>"
        for caption, svg in ((w["shares"], _share_chart(pack)), (w["law_chart"], _law_chart(pack)))
    )
    empty = pd.DataFrame()
    return (
        f'<!DOCTYPE html>\n<html lang="{escape(pack.lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{heading}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{heading}</h1>\n{warning}\n{facts}\n"
        f'<p class="note">{generated}</p>\n'
        f'<section class="charts">{charts}</section>\n'
        f"<h2>{escape(w['indicators'])}</h2>\n{note}\n"
        f"{_table(pack.tables.get('indicators', empty), pack.lang, headline='breakdown')}\n"
        f"<h2>{escape(w['law'])}</h2>\n"
        f"{_table(pack.tables.get('law_changes', empty), pack.lang)}\n"
        "</main>\n</body>\n</html>\n"
    )


def write_html(pack: Pack, path: Path) -> Path:
    """Write the report to `path` (normally `<stem>.html` beside the xlsx), mode 0600."""
    document = render_html(pack)

    def write(tmp: Path) -> None:
        tmp.write_text(document, encoding="utf-8")

    return write_private(Path(path), write)
