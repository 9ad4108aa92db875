"""The register's vocabularies: member codes, regions, countries, languages, networks.

Regions, languages and regional networks are the choice codes of the annual member survey
(`forms/annual_member_survey.xlsx`); member codes follow its `member_code` constraint.
Countries are ISO 3166-1 alpha-3 codes (the survey's own "other in region" codes such as
XAF are not countries and are refused in the register).
"""

from __future__ import annotations

import re

from nswp_survey.config import LANGUAGES as LANGUAGES  # the tool's one list of them

MEMBER_CODE = re.compile(r"^[A-Z]{2}-[0-9]{4}$")
REGIONS = ("africa", "asia_pacific", "europe", "lac", "nac")
MEMBERSHIP_TYPES = ("full", "associate", "supporting")
REGIONAL_NETWORKS = (
    "aswa",
    "apnsw",
    "eswa",
    "swan",
    "plaperts",
    "redtrasex",
    "cswc",
    "other",
    "none",
)

# Kobo paths of the survey fields that link a submission to the register.
CODE_PATH = "b_profile/member_code"
CONSENT_PATH = "a_consent/consent"
SURVEY_YEAR_PATH = "a_consent/survey_year"
TODAY_PATH = "today"
NOT_APPROVED = "validation_status_not_approved"

# ISO 3166-1 alpha-3, all 249 officially assigned codes (from Debian iso-codes 4.15).
ISO3166_ALPHA3 = frozenset(
    (
        "ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA "
        "BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN "
        "CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU "
        "EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB "
        "GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL "
        "ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO "
        "LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR "
        "MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER "
        "PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM "
        "SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK "
        "TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM "
        "VUT WLF WSM YEM ZAF ZMB ZWE "
    ).split()
)
