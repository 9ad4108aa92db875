"""The words a reader of the HTML report sees, in the five NSWP languages (en fr es ru zh).

Table values arrive translated in the pack (form labels, indicator titles); this module holds
the rest: UI phrases, section headings, column headers and cover items. XLSX and CSV keep
their stable codes as column names (see pack.py); only the HTML shows these words.
Each phrase table lists the languages in ORDER.

Example:
    column_label("public_source", "fr")   # "Source publique"
"""

from __future__ import annotations

from collections.abc import Mapping

from nswp_survey.config import LANGUAGES

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
        "suppressed": "A cell shown as “<{n}” counts fewer than {n} organisations and is hidden; "
        "one shown as “x” may be any count, small or not, and is hidden so that no combination "
        "of the published tables gives a hidden cell away.",
        "none": "No data.", "generated": "Generated",
        "left_out": "{n} breakdown rows with a hidden cell are not listed here; the XLSX has "
        "every row.",
    },
    "fr": {
        "title": "Enquête des membres du NSWP {year} : {region}", "responses": "Réponses",
        "coverage": "Couverture des membres actifs", "countries": "Pays", "tier": "Niveau",
        "public": "public (petites cellules masquées)", "internal": "interne",
        "sensitive": "Ce rapport contient des champs sensibles. Ne le partagez pas en dehors du "
        "Conseil et du Secrétariat.", "shares": "Proportions principales (%)",
        "law_chart": "Changements juridiques et politiques par domaine et direction",
        "indicators": "Indicateurs", "law": "Changements juridiques et politiques",
        "suppressed": "Une cellule affichée « <{n} » compte moins de {n} organisations ; une "
        "cellule « x » peut contenir n’importe quel nombre, petit ou non : elle est masquée pour "
        "qu’aucune combinaison des tableaux publiés ne révèle une cellule masquée.",
        "none": "Aucune donnée.", "generated": "Généré le",
        "left_out": "{n} lignes de ventilation dont la cellule est masquée ne sont pas listées "
        "ici ; le fichier XLSX contient toutes les lignes.",
    },
    "es": {
        "title": "Encuesta de miembros de NSWP {year}: {region}", "responses": "Respuestas",
        "coverage": "Cobertura de miembros activos", "countries": "Países", "tier": "Nivel",
        "public": "público (celdas pequeñas ocultas)", "internal": "interno",
        "sensitive": "Este informe incluye campos sensibles. No lo comparta fuera de la Junta "
        "y la Secretaría.", "shares": "Proporciones principales (%)",
        "law_chart": "Cambios legales y de políticas por área y dirección",
        "indicators": "Indicadores", "law": "Cambios legales y de políticas",
        "suppressed": "Una celda «<{n}» cuenta menos de {n} organizaciones y se oculta; una celda "
        "«x» puede contener cualquier número, pequeño o no, y se oculta para que ninguna "
        "combinación de los cuadros publicados revele una celda oculta.",
        "none": "Sin datos.", "generated": "Generado",
        "left_out": "{n} filas de desglose con una celda oculta no se listan aquí; el XLSX "
        "tiene todas las filas.",
    },
    "ru": {
        "title": "Опрос членов NSWP {year}: {region}", "responses": "Ответы",
        "coverage": "Охват активных членов", "countries": "Страны", "tier": "Уровень",
        "public": "публичный (малые ячейки скрыты)", "internal": "внутренний",
        "sensitive": "Этот отчёт содержит конфиденциальные поля. Не передавайте его за пределы "
        "Правления и Секретариата.", "shares": "Основные доли (%)",
        "law_chart": "Изменения законов и политики по областям и направлениям",
        "indicators": "Индикаторы", "law": "Изменения законов и политики",
        "suppressed": "Ячейка «<{n}» охватывает менее {n} организаций и скрыта; ячейка «x» скрыта, "
        "может содержать любое число, малое или нет, и скрыта, чтобы никакое сочетание "
        "опубликованных таблиц не раскрыло скрытую ячейку.",
        "none": "Нет данных.", "generated": "Создан",
        "left_out": "{n} строк разбивки со скрытой ячейкой здесь не показаны; в файле XLSX есть "
        "все строки.",
    },
    "zh": {
        "title": "NSWP {year}年成员调查：{region}", "responses": "回复数",
        "coverage": "活跃成员覆盖率", "countries": "国家数", "tier": "级别",
        "public": "公开（小单元格已隐藏）", "internal": "内部",
        "sensitive": "本报告包含敏感字段。请勿在理事会和秘书处之外分享。",
        "shares": "主要比例（%）", "law_chart": "按领域和方向分列的法律和政策变化",
        "indicators": "指标", "law": "法律和政策变化",
        "suppressed": "显示为“<{n}”的单元格涉及少于{n}个组织，已隐藏；显示为“x”的单元格也已隐藏，"
        "其数值可能是任何数（包括小数目），以免通过任何已发布表格的组合推算出被隐藏的单元格。",
        "none": "无数据。", "generated": "生成时间",
        "left_out": "{n}个含隐藏单元格的细分行未在此列出；XLSX文件包含所有行。",
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
ORDER = LANGUAGES
# fmt: off

Phrase = tuple[str, str, str, str, str]  # en, fr, es, ru, zh
COLUMNS: dict[str, Phrase] = {
    "id": ("ID", "ID", "ID", "Код", "编号"),
    "title": ("Indicator", "Indicateur", "Indicador", "Индикатор", "指标"),
    "indicator": ("Indicator", "Indicateur", "Indicador", "Индикатор", "指标"),
    "breakdown": ("Breakdown", "Ventilation", "Desglose", "Разбивка", "分类"),
    "value": ("Value", "Valeur", "Valor", "Значение", "数值"),
    "numerator": ("Numerator", "Numérateur", "Numerador", "Числитель", "分子"),
    "denominator": ("Denominator", "Dénominateur", "Denominador", "Знаменатель", "分母"),
    "n": ("Organisations (n)", "Organisations (n)", "Organizaciones (n)", "Организации (n)",
          "组织数 (n)"),
    "note": ("Note", "Remarque", "Nota", "Примечание", "备注"),
    "country": ("Country", "Pays", "País", "Страна", "国家"),
    "area": ("Area", "Domaine", "Área", "Область", "领域"),
    "stage": ("Stage", "Étape", "Etapa", "Стадия", "阶段"),
    "direction": ("Effect on rights", "Effet sur les droits", "Efecto en los derechos",
                  "Влияние на права", "对权利的影响"),
    "month": ("Month", "Mois", "Mes", "Месяц", "月份"),
    "public_source": ("Public source", "Source publique", "Fuente pública",
                      "Открытый источник", "公开来源"),
    "reports": ("Reports", "Signalements", "Reportes", "Сообщения", "报告数"),
    "code": ("Code", "Code", "Código", "Код", "代码"),
    "category": ("Category", "Catégorie", "Categoría", "Категория", "类别"),
    "service": ("Service", "Service", "Servicio", "Услуга", "服务"),
}
# the cover sheet's items (stable English codes in the XLSX) as the HTML shows them
COVER: dict[str, Phrase] = {
    "region": ("Region", "Région", "Región", "Регион", "地区"),
    "year": ("Survey year", "Année de l'enquête", "Año de la encuesta", "Год опроса", "调查年份"),
    "responses": ("Responses", "Réponses", "Respuestas", "Ответы", "回复数"),
    "active members": ("Active members", "Membres actifs", "Miembros activos",
                       "Активные члены", "活跃成员数"),
    "coverage (%)": ("Coverage of active members", "Couverture des membres actifs",
                     "Cobertura de miembros activos", "Охват активных членов", "活跃成员覆盖率"),
    "countries": ("Countries", "Pays", "Países", "Страны", "国家数"),
    "SW-led share (%)": ("Sex worker-led organisations", "Organisations dirigées par des TS",
                         "Organizaciones lideradas por TS", "Организации под руководством СР",
                         "性工作者主导的组织"),
    "language": ("Language", "Langue", "Idioma", "Язык", "语言"),
    "generated at": ("Generated", "Généré le", "Generado", "Создан", "生成时间"),
    "tier": ("Tier", "Niveau", "Nivel", "Уровень", "级别"),
    "minimum cell size": ("Smallest cell shown", "Plus petite cellule affichée",
                          "Celda mínima mostrada", "Минимальный размер ячейки", "显示的最小单元格"),
    "minimum cell size, high-sensitivity items": (
        "Smallest cell shown, high-sensitivity items",
        "Plus petite cellule affichée, éléments très sensibles",
        "Celda mínima mostrada, elementos muy sensibles",
        "Минимальный размер ячейки, особо чувствительные данные",
        "显示的最小单元格（高度敏感项）"),
    "suppressed cells": ("Suppressed cells", "Cellules masquées", "Celdas ocultas",
                         "Скрытые ячейки", "已隐藏的单元格"),
    "sensitive fields left out": ("Sensitive fields left out", "Champs sensibles exclus",
                                  "Campos sensibles excluidos", "Исключённые конфиденциальные поля",
                                  "未包含的敏感字段"),
    "countries withheld for safety": ("Countries withheld for safety", "Pays omis par sécurité",
                                      "Países omitidos por seguridad",
                                      "Страны, скрытые ради безопасности",
                                      "出于安全考虑未列出的国家"),
    "row-level responses": ("Row-level responses", "Réponses individuelles",
                            "Respuestas individuales", "Построчные ответы", "逐条回复"),
    "includes sensitive fields": ("Includes sensitive fields", "Contient des champs sensibles",
                                  "Incluye campos sensibles", "Содержит конфиденциальные поля",
                                  "包含敏感字段"),
}
SECTIONS: dict[str, Phrase] = {
    "law_matrix": ("Changes by country and area", "Changements par pays et domaine",
                   "Cambios por país y área", "Изменения по странам и областям",
                   "按国家和领域分列的变化"),
    "programmes": ("Programmes and services", "Programmes et services", "Programas y servicios",
                   "Программы и услуги", "项目和服务"),
    "participation": ("Participation and leadership", "Participation et leadership",
                      "Participación y liderazgo", "Участие и лидерство", "参与和领导力"),
    "mobilisation": ("International days", "Journées internationales", "Días internacionales",
                     "Международные дни", "国际日"),
    "violence_rights": ("Violence and rights", "Violence et droits", "Violencia y derechos",
                        "Насилие и права", "暴力与权利"),
    "needs": ("Support needs", "Besoins de soutien", "Necesidades de apoyo",
              "Потребности в поддержке", "支持需求"),
    "service_coverage": ("Service coverage (% of respondents)",
                         "Couverture des services (% des répondants)",
                         "Cobertura de servicios (% de quienes respondieron)",
                         "Охват услугами (% ответивших)", "服务覆盖（占回复者的百分比）"),
    "time_series": ("Headline indicators over the years", "Indicateurs principaux par année",
                    "Indicadores principales por año", "Основные индикаторы по годам",
                    "主要指标的历年变化"),
}
PHRASES: dict[str, Phrase] = {
    "expanded": ("Started or expanded", "Lancés ou élargis", "Iniciados o ampliados",
                 "Начаты или расширены", "启动或扩大"),
    "reduced": ("Reduced or stopped", "Réduits ou arrêtés", "Reducidos o suspendidos",
                "Сокращены или прекращены", "减少或停止"),
    "not_shown": ("(country not shown: no public source)",
                  "(pays non indiqué : pas de source publique)",
                  "(país no indicado: sin fuente pública)",
                  "(страна не указана: нет открытого источника)", "（未显示国家：无公开来源）"),
    "headline": ("Headline figures (%)", "Chiffres principaux (%)", "Cifras principales (%)",
                 "Основные показатели (%)", "主要数字（%）"),
    "coverage_legend": ("Share of respondents offering the service",
                        "Part des répondants offrant le service",
                        "Proporción de quienes respondieron que ofrecen el servicio",
                        "Доля ответивших, предоставляющих услугу", "提供该服务的回复者比例"),
    # {n}: the floor; a heat cell is hidden for few respondents or few offering the service
    "coverage_hidden": ("hidden: fewer than {n} organisations answered there, or fewer than "
                        "{n} offer the service",
                        "masqué : moins de {n} organisations y ont répondu, ou moins de {n} "
                        "offrent le service",
                        "oculto: allí respondieron menos de {n} organizaciones, o menos de {n} "
                        "ofrecen el servicio",
                        "скрыто: там ответили менее {n} организаций или менее {n} "
                        "предоставляют услугу",
                        "已隐藏：该地回复的组织少于{n}个，或提供该服务的组织少于{n}个"),
    "yes": ("yes", "oui", "sí", "да", "是"),
    "no": ("no", "non", "no", "нет", "否"),
}
# fmt: on


def pick(phrase: Phrase, lang: str) -> str:
    """The phrase in `lang` (English for a language NSWP does not publish in)."""
    return phrase[ORDER.index(lang)] if lang in ORDER else phrase[0]


def column_label(column: str, lang: str, extra: Mapping[str, str] | None = None) -> str:
    """A table header in `lang`: the fixed columns, else `extra` (form labels), else the code."""
    if column in COLUMNS:
        return pick(COLUMNS[column], lang)
    return (extra or {}).get(column, column)


def cover_label(item: str, lang: str) -> str:
    return pick(COVER[item], lang) if item in COVER else item


def section_title(section: str, lang: str) -> str:
    return pick(SECTIONS[section], lang) if section in SECTIONS else section


def phrase(key: str, lang: str) -> str:
    return pick(PHRASES[key], lang)
