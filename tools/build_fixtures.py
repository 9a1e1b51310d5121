"""Build ``fixtures/ccm.json``, the data the tracker ships with.

Run from the repository root::

    python tools/build_fixtures.py --reference ../shared/reference --seeds ../shared/seeds

The script migrates a temporary SQLite database, builds every object through the
ORM (``full_clean()`` then ``save()`` on each, so entry into force, withdrawal
and deadline dates come from the models' own ``save()`` logic, never from here)
and writes the tracker app's non-historical models with ``dumpdata``. The output
is stable: a second run gives identical bytes.

Build-time dependency: ``country_converter`` (``pip install country_converter``),
for ISO alpha-3 codes, short names and UN M49 sub-regions. It is deliberately
not in requirements.txt: the site never imports it. The script reads the
package's bundled ``country_data.tsv`` with the csv module, because
country_converter's own ``CountryConverter`` class fails to load under pandas 3.

Where each fact comes from is written in the Source rows and in docs/data.md.
"""

import argparse
import csv
import datetime
import importlib.metadata
import io
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

D = datetime.date.fromisoformat

# Every row's "last edited" stamp in the shipped data: the date of the depositary's
# status list the data is as at. A fixed value keeps the output byte-stable.
DATA_AS_AT = datetime.datetime(2026, 2, 3, tzinfo=datetime.UTC)

# --- States -------------------------------------------------------------------

# UN formal short names where country_converter's name_short differs. States in
# ccm_states.csv take the depositary's name from that file instead.
UN_NAMES = {
    "BN": "Brunei Darussalam",
    "FM": "Micronesia (Federated States of)",
    "IR": "Iran (Islamic Republic of)",
    "KP": "Democratic People's Republic of Korea",
    "KR": "Republic of Korea",
    "PS": "State of Palestine",
    "RU": "Russian Federation",
    "SY": "Syrian Arab Republic",
    "TR": "Türkiye",
    "TZ": "United Republic of Tanzania",
    "US": "United States of America",
    "VA": "Holy See",
    "VE": "Venezuela (Bolivarian Republic of)",
    "VN": "Viet Nam",
}

# country_converter places Nauru in Polynesia; UN M49 lists it under Micronesia.
SUBREGION_FIXES = {"NR": "Micronesia"}

OBSERVERS = {"VA", "PS"}  # UN non-member observer states
OTHERS = {"CK", "NU"}  # in free association with New Zealand; UNTC participants

# UN M49 regions of the sub-regions (or intermediate regions) country_converter uses.
REGION_OF_SUBREGION = {
    "Northern Africa": "africa",
    "Eastern Africa": "africa",
    "Middle Africa": "africa",
    "Southern Africa": "africa",
    "Western Africa": "africa",
    "Caribbean": "americas",
    "Central America": "americas",
    "South America": "americas",
    "Northern America": "americas",
    "Central Asia": "asia",
    "Eastern Asia": "asia",
    "South-eastern Asia": "asia",
    "Southern Asia": "asia",
    "Western Asia": "asia",
    "Eastern Europe": "europe",
    "Northern Europe": "europe",
    "Southern Europe": "europe",
    "Western Europe": "europe",
    "Australia and New Zealand": "oceania",
    "Melanesia": "oceania",
    "Micronesia": "oceania",
    "Polynesia": "oceania",
}


def country_data():
    """Return country_converter's rows (current countries only), keyed by ISO alpha-2."""
    import country_converter

    path = Path(country_converter.__file__).with_name("country_data.tsv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    by_iso2 = {}
    for row in rows:
        if row["obsolete"]:
            continue
        # A few codes are regular expressions, e.g. "^GR$|^EL$": the first is ISO's.
        codes = re.findall(r"[A-Z]{2}", row["ISO2"])
        if codes:
            by_iso2[codes[0]] = row
    return by_iso2


# --- Sources ------------------------------------------------------------------

UNTC_URL = "https://treaties.un.org/Pages/Treaties.aspx?id=26&subid=A"

# key: (title, publisher, date, date precision, symbol, address, notes)
SOURCES = {
    "untc": (
        "Convention on Cluster Munitions — status as at 3 February 2026",
        "UN Treaty Collection",
        "2026-02-03",
        "day",
        "MTDSG XXVI-6",
        UNTC_URL,
        "The depositary's status list (Multilateral Treaties Deposited with the Secretary-General, "
        "chapter XXVI-6). Header: concluded by the Dublin Diplomatic Conference on Cluster Munitions "
        "at Dublin on 30 May 2008; opened for signature at Oslo, Norway, on 3 December 2008; entry into "
        "force 1 August 2010, in accordance with article 17(1); registration 1 August 2010, No. 47713; "
        "United Nations, Treaty Series, vol. 2688, p. 39; signatories 107, parties 112. Read from the "
        "copy saved on 3 February 2026 in github.com/mgaldino/treaties-ideal-point (commit 746a24f, "
        "data/raw/arms_control/html/ccm.html). Gives every signature, deposit, instrument, provisional "
        "application and withdrawal date, and the declarations in the participations' notes.",
    ),
    "seed000": (
        "Message of the Secretary-General to the Second Meeting of States Parties to the Convention "
        "on Cluster Munitions",
        "United Nations Secretary-General",
        "2011-09-13",
        "day",
        "",
        "",
        "Beirut, 13 September 2011; delivered by Mr. Sergio Duarte, High Representative for "
        "Disarmament Affairs. It congratulates 'the 62 States that have so far joined the Convention' "
        "(the depositary's list counts 62 deposits up to 12 September 2011, and 63 with Eswatini's "
        "accession on 13 September), calls upon all others to sign or accede 'as a matter of urgency', "
        "and recalls that 'the First Meeting of States Parties in Vientiane adopted a far-reaching and "
        "encouraging Action Plan'. Seed document 000_0fe7d25cfe4eaa17.txt.",
    ),
    "seed001": (
        "Second Meeting of States Parties, Beirut: summary of Friday 16 September 2011",
        "",
        "2011-09-16",
        "day",
        "",
        "",
        "Summary of the last day of the 2MSP (cooperation and assistance, universalization, "
        "compliance, decisions and outcome documents; final drafts at "
        "http://www.clusterconvention.org/documents/2msp-documents/). Gives the 2MSP outcomes, the "
        "working groups, the 3MSP and 2012 intersessional dates as announced, and the ratification "
        "steps of Australia, Côte d'Ivoire, Cyprus, Sweden, Kiribati and Thailand. Statements it "
        "reports that the data model has no place for: Australia has provided AUD 40 million to mine "
        "action since the 1MSP; Germany contributed EUR 2.16 million in 2010 and announced EUR 700,000 "
        "for clearance in Lebanon; Japan has provided USD 31 million to nine countries since the 1MSP; "
        "Sweden provided EUR 9 million to five affected countries and one affected area in 2010; Lao "
        "PDR presented its ten-year implementation plan with milestones, indicators and budgets; "
        "Lebanon launched, with a national Lebanese bank, a credit card that generates donations to "
        "mine action; Colombia gave an example of triangular cooperation with Cambodia and Japan; "
        "Lebanon and the United Kingdom condemned the recent use of cluster munitions; the CMC warned "
        "that supporting a protocol on cluster munitions under the Convention on Conventional Weapons "
        "runs counter to CCM obligations; the 2MSP closed with the Survivors' Declaration. Seed "
        "document 001_c490e757475de78e.txt.",
    ),
    # Obligations and extensions.
    "mon2019cc": (
        "Cluster Munition Monitor 2019: Contamination and Clearance",
        "Landmine and Cluster Munition Monitor",
        "2019-01-01",
        "year",
        "",
        "https://the-monitor.org/en-gb/reports/2019/cluster-munition-monitor-2019/contamination-and-clearance.aspx",
        "As of 1 August 2019: 'Previously, eight States Parties completed the clearance of their "
        "cluster munition-contaminated areas': Albania, the Republic of the Congo, Grenada, "
        "Guinea-Bissau, Mauritania, Mozambique, Norway and Zambia. Completion dates are not given.",
    ),
    "udas": (
        "Summary of Cluster Munition Monitor 2024 (udas.rs.ba)",
        "udas.rs.ba",
        None,
        "day",
        "",
        "https://udas.rs.ba",
        "Bosnia and Herzegovina completed clearance of cluster munition remnants in August 2023, the "
        "ninth State Party to do so. Only the site's address was recorded, not the page's.",
    ),
    "mon_bg_2017": (
        "Cluster Munition Monitor: Bulgaria, Cluster Munition Ban Policy (updated 3 August 2017)",
        "Landmine and Cluster Munition Monitor",
        "2017-08-03",
        "day",
        "",
        "http://www.the-monitor.org/en-gb/reports/2017/bulgaria/cluster-munition-ban-policy.aspx",
        "'Bulgaria is preparing to destroy its stockpiled cluster munitions by the October 2019 "
        "deadline.' (The 2015 profile said 'April 2019 deadline', which contradicts the entry into "
        "force for Bulgaria on 1 October 2011 that both profiles state.)",
    ),
    "mon_faq": (
        "Cluster Munition Monitor FAQ: How many stockpiled cluster munitions have been destroyed and "
        "how many remain?",
        "Landmine and Cluster Munition Monitor",
        "2019-01-01",
        "year",
        "",
        "http://www.the-monitor.org/en-gb/the-issues/faqs/stockpiling/"
        "how-many-stockpiled-cluster-munitions-have-been-destroyed-and-how-many-remain.aspx",
        "'In April 2019, Bulgaria submitted a request to States Parties to extend its stockpile "
        "destruction deadline of 1 October 2019 by another 18 months, until 1 April 2021. Bulgaria is "
        "the first State Party to make such a request under the convention, which was granted at the "
        "Ninth Meeting of States Parties in September 2019.' (Last updated based primarily on Cluster "
        "Munition Monitor 2019.)",
    ),
    "mon_bg_2022": (
        "Cluster Munition Monitor: Bulgaria, Cluster Munition Ban Policy (updated 14 August 2022)",
        "Landmine and Cluster Munition Monitor",
        "2022-08-14",
        "day",
        "",
        "http://www.the-monitor.org/en-gb/reports/2022/bulgaria/view-all.aspx",
        "Bulgaria 'destroyed 1,303 cluster munitions and 41,495 submunitions in February–May 2022, "
        "and has requested an extension to its October 2022 stockpile destruction deadline.'",
    ),
    "bhmac2021": (
        "BHMAC: virtual meeting on the decision-making process for Article 3 and 4 extension requests",
        "Mine Action Centre of Bosnia and Herzegovina (BHMAC)",
        "2021-02-01",
        "month",
        "",
        "https://www.bhmac.org/a-virtual-meeting-on-the-decision-making-process-about-articles-3-and-"
        "4-of-the-extension-requests-of-the-deadline-for-the-removal-of-cluster-munitions/",
        "On 9 February 2021, at the invitation of the President of the Second Review Conference, the "
        "States that had requested extensions, including Bosnia and Herzegovina, Peru and Bulgaria, "
        "met; the second part of the Review Conference being cancelled, the decisions were to be made "
        "by silence procedure, expected by the end of February 2021.",
    ),
    "cmc_silkway": (
        "Cluster Munition Coalition: statement on stockpile destruction (silkway.news)",
        "silkway.news",
        None,
        "day",
        "",
        "https://silkway.news/statement-on-stockpile-destruction-and-89546",
        "CMC statement, c. 2022: thanks Bulgaria 'for its second extension request ... for a relatively "
        "short period of 15 months' and urges completion 'no later than the newly requested deadline "
        "in 2023'; appreciates South Africa's 'assurance that it will meet its stockpile destruction "
        "deadline in 2023'.",
    ),
    "mon_bg_2023": (
        "Cluster Munition Monitor: Bulgaria, Cluster Munition Ban Policy (updated 5 September 2023)",
        "Landmine and Cluster Munition Monitor",
        "2023-09-05",
        "day",
        "",
        "http://www.the-monitor.org/en-gb/reports/2023/bulgaria/cluster-munition-ban-policy.aspx",
        "'Bulgaria completed destruction of the stockpile in June 2023, in advance of its 31 December "
        "2023 deadline.'",
    ),
    "hrw2023": (
        "Human Rights Watch: photo caption, Bulgaria hands over stockpile destruction documents, "
        "12 September 2023",
        "Human Rights Watch",
        "2023-09-12",
        "day",
        "",
        "https://hrw.org/modal/103243",
        "Amb. Yuri Sterk of Bulgaria hands over formal documents confirming the completion of the "
        "destruction of its stockpile (6,862 cluster munitions and 186,349 submunitions) 'to the "
        "president of the Convention on Cluster Munitions, Amb. Abdul Karim Hashim Mustafa of Iraq, "
        "September 12, 2023' (a day of the 11MSP; the reference notes spell the name Abdul-Karim "
        "Hashim Mostafa).",
    ),
    "ccm_peru": (
        "ISU-CCM: Peru's fulfilment of its CCM Article 3 obligations and the achievement of a historic "
        "milestone for the Convention",
        "Convention on Cluster Munitions Implementation Support Unit",
        "2023-01-01",
        "year",
        "",
        "https://www.clusterconvention.org/perus-fulfilment-of-its-ccm-article-3-obligations-and-the-"
        "achievement-of-a-historic-milestone-for-the-convention/",
        "Peru fulfilled its Article 3 obligation 'before the stipulated deadline of 1 April 2024'; this "
        "'marks the completion of cluster munitions stockpile destruction for all State Parties to the "
        "CCM'. Bulgaria, Slovakia and South Africa 'declared fulfilment of their article 3 obligations "
        "this year' (2023; no day given); to be celebrated at the upcoming 12MSP.",
    ),
    "ccm_9msp": (
        "Ninth Meeting of States Parties (9MSP): extension requests",
        "Convention on Cluster Munitions Implementation Support Unit",
        "2019-01-01",
        "year",
        "",
        "https://clusterconvention.org/9msp/",
        "Extension requests considered at the 9MSP (stockpile deadlines in 2019, clearance deadlines "
        "in 2020): Article 3, Bulgaria; Article 4, Germany (request of 15 January 2019; answers to the "
        "analysis group of 12 February 2019) and Lao PDR (request of 26 February 2019). The decisions "
        "are not on the page as read.",
    ),
    "mar_lb": (
        "Mine Action Review: Lebanon, cluster munition remnants",
        "Mine Action Review",
        "2021-01-01",
        "year",
        "",
        "https://www.mineactionreview.org/country/lebanon",
        "Article 4 deadline 1 May 2026: 'Lebanon was granted a five-year extension to its Convention on "
        "Cluster Munitions (CCM) Article 4 deadline, to 1 May 2026', with completion planned by the end of "
        "2025 (review of 2020 operations). The meeting that granted it is not named.",
    ),
    "ccm_lb_2025": (
        "Lebanon Mine Action Centre extension request consultation",
        "Convention on Cluster Munitions Implementation Support Unit",
        "2025-03-01",
        "month",
        "",
        "https://www.clusterconvention.org/lebanon-mine-action-centre-extension-request-consultation/",
        "The ISU met the Lebanon Mine Action Center in Geneva on 19-20 March to discuss an Article 4 "
        "clearance deadline extension request; Lebanon had cleared 92% of the known contamination and "
        "operations had been halted since October 2023 by the conflict on its southern border. The "
        "decision on the request is not on the page.",
    ),
    "isu_de_2020": (
        "ISU-CCM country profile: Germany (last updated 4 May 2020)",
        "Convention on Cluster Munitions Implementation Support Unit",
        "2020-05-04",
        "day",
        "",
        "https://docslib.org/doc/10834062/germany-signed-3-december-2008-ratified-8-july-2009-entered-into-"
        "force-1-august-2010",
        "Article 4: 'Clearance obligation deadline: 1 August 2020, extended to 1 August 2025'; 'Submitted "
        "extension request that was considered at the 9MSP'. Article 3: completed destruction of its "
        "stockpiles in November 2015. Read from a copy on docslib.org.",
    ),
    "mon_se": (
        "Cluster Munition Monitor: Sweden, Cluster Munition Ban Policy (updated 8 August 2016)",
        "Landmine and Cluster Munition Monitor",
        "2016-08-08",
        "day",
        "",
        "http://www.the-monitor.org/en-gb/reports/2021/sweden/cluster-munition-ban-policy.aspx",
        "'Sweden completed the destruction of its stockpile of 370 cluster munitions and 20,595 "
        "submunitions in April 2015, and has retained 125 submunitions for training and research "
        "purposes.'",
    ),
    "ccm_12msp": (
        "Twelfth Meeting of States Parties (12MSP)",
        "Convention on Cluster Munitions Implementation Support Unit",
        "2024-01-01",
        "year",
        "",
        "https://clusterconvention.org/12msp/",
        "Presided by Mexico: 'H.E. Mrs. Francisca Elizabeth Méndez Escobar, Ambassador and Permanent "
        "Representative of Mexico, presided over the 12MSP'. Documents include the analyses of the "
        "Article 4 extension requests of Chad (CCM/MSP/2024/4), Germany (CCM/MSP/2024/5) and Lao PDR "
        "(CCM/MSP/2024/6); the decisions are not on the page as read.",
    ),
    "ccm_13msp_er": (
        "Thirteenth Meeting of States Parties (13MSP): extension requests",
        "Convention on Cluster Munitions Implementation Support Unit",
        "2025-01-01",
        "year",
        "",
        "https://clusterconvention.org/13msp-er/",
        "Extension requests for Article 4 clearance deadlines falling in 2026, including Afghanistan's, "
        "considered at the 13MSP (2025).",
    ),
    "isu_lao2018": (
        "ISU-CCM news: Lao PDR's CCM Article 4 extension request consultative workshop (20 November 2018)",
        "Convention on Cluster Munitions Implementation Support Unit",
        "2018-11-20",
        "day",
        "",
        "https://ccm3.pronk.se/2018/11/20/lao-pdrs-ccm-article-4-extension-request-consultative-meeting/",
        "Lao PDR has 'a CCM Article 4 deadline of 1 August 2020'; at the 8MSP (September 2018) it said "
        "it would not be able to comply and would request an extension, due for submission in December "
        "2018. (Archived copy of clusterconvention.org.)",
    ),
    "cmc_lebanon2011": (
        "Cluster Munition Coalition: Convention on Cluster Munitions takes effect in Lebanon (16 May 2011)",
        "Cluster Munition Coalition",
        "2011-05-16",
        "day",
        "",
        "http://stopclustermunitions.org/en-gb/media/news/2011/convention-on-cluster-munitions-takes-effect.aspx",
        "'On 1 May, the Convention entered into force in Lebanon, meaning that Lebanon now has 10 years "
        "to clear all known contaminated areas'. Also announces that the 2MSP will take place in Beirut "
        "from 12 to 16 September 2011.",
    ),
    # Meetings and coordinators.
    "cmc_1msp": (
        "Cluster Munition Coalition: First Meeting of States Parties to the Convention on Cluster "
        "Munitions, 9–12 November 2010, Vientiane",
        "Cluster Munition Coalition",
        None,
        "day",
        "",
        "http://stopclustermunitions.org/en-gb/the-treaty/treaty-meetings/meetings-of-states-parties/1msp.aspx",
        "The 1MSP took place in Vientiane, Lao PDR, from 9 to 12 November 2010. (One ISU archive page, "
        "ccm4.pronk.se/meetings-of-states-parties/, wrongly gives '9-12 September 2010'.)",
    ),
    "im2011": (
        "Intersessional meetings 2011 (ISU archive)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://ccm4.pronk.se/im-2011",
        "'Intersessional meetings to the CCM were held in Geneva on 27-30 June 2011.' Day 1 was "
        "'chaired by Lao PDR, President of the 1MSP'.",
    ),
    "cmc_2msp": (
        "Cluster Munition Coalition: Second Meeting of States Parties (2MSP) page",
        "Cluster Munition Coalition",
        None,
        "day",
        "",
        "https://stopclustermunitions.org/2msp/",
        "2MSP: 12–16 September 2011, Phoenicia Intercontinental Hotel, Beirut, hosted by the Government "
        "of Lebanon and the UN; the 1MSP approved Lebanon as host.",
    ),
    "unoda_2msp": (
        "UNODA: Second Meeting of States Parties to the Convention on Cluster Munitions",
        "United Nations Office for Disarmament Affairs",
        None,
        "day",
        "",
        "https://dev.unoda.org/geneva/ccm/meetings-of-state-parties/second-meeting/",
        "The 2MSP 'took place in Beirut, Lebanon, from 13 to 16 September 2011'. Lists the draft "
        "decisions on implementation architecture, intersessional work and an Implementation Support "
        "Unit, and a 'Final Document'.",
    ),
    "lmac": (
        "Lebanon Mine Action Center: news on the Second Meeting of States Parties",
        "Lebanon Mine Action Center",
        None,
        "day",
        "",
        "https://lebmac.org/en/newsAndEvents/Details/10",
        "2MSP in Beirut, 12–16 September 2011, attended by '52 States parties, 38 signatories states, "
        "41 observers and 15 international organizations'; Lebanon handed the presidency to Norway.",
    ),
    "undp2011": (
        "UNDP announcement on the Second Meeting of States Parties (21 September 2011)",
        "United Nations Development Programme",
        "2011-09-21",
        "day",
        "",
        "",
        "The 2MSP was presided by Lebanon (Ministry of Foreign Affairs and Emigrants), attended by "
        "'Representatives from 131 States and entities, and 60 national and international "
        "organizations'; the Beirut Declaration was adopted by consensus; Swaziland (Eswatini) became "
        "the 63rd State Party 'on the first day of the conference'. Recorded on undp.org; the page "
        "address was not kept.",
    ),
    "hi2011": (
        "Handicap International Belgium: news on the 2MSP (node 1888)",
        "Handicap International Belgium",
        None,
        "day",
        "",
        "https://handicapinternational.be/nl/node/1888",
        "Swaziland (Eswatini) acceded on 13 September 2011, 'becoming the 63rd State Party'.",
    ),
    "oslo_pr": (
        "Oslo Progress Report (3MSP draft)",
        "slidelegend.com (copy)",
        "2012-01-01",
        "year",
        "",
        "https://slidelegend.com",
        "Monitors the Vientiane Action Plan from the 2MSP (September 2011) to the 3MSP (September "
        "2012); 'submitted by Lebanon as the President of the 2MSP', prepared 'assisted by the "
        "Coordinators on General Status and Operation of the Convention, Zambia and the Holy See, and "
        "the Executive Coordinator (UNDP)'. Only the site's address was recorded, not the page's.",
    ),
    "im2012_va": (
        "Intersessional Meeting 2012, day 1: victim assistance (ISU archive)",
        "Convention on Cluster Munitions Implementation Support Unit",
        "2012-04-16",
        "day",
        "",
        "https://ccm3.pronk.se/meetings/intersessional-meetings/intersessional-meeting-2012/"
        "day-1-victim-assistance/",
        "'Opening remarks by the Coordinator on Victim Assistance (Bosnia and Herzegovina)' and "
        "'Closure remarks by the Coordinator on Victim Assistance (Austria)'.",
    ),
    "im_list": (
        "Intersessional Meetings (ISU archive)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://ccm3.pronk.se/meetings/intersessional-meetings/",
        "Past meetings: the first on 27–30 June 2011, the second on 16–19 April 2012, the third on "
        "15–18 April 2013, the fourth on 7–9 April 2014 and the fifth on 22–23 June 2015. After the "
        "First Review Conference (Dubrovnik, September 2015) no intersessional meetings were foreseen "
        "until the next Review Conference. The 2012 meeting was held in the World Meteorological "
        "Organization building, Geneva (also victim-assistance.org, 22 March 2012).",
    ),
    "im2013": (
        "Intersessional Meeting 2013 (ISU archive)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://ccm3.pronk.se/meetings/intersessional-meetings/intersessional-meeting-2013",
        "'The third Intersessional Meeting to the Convention on Cluster Munitions took place in Geneva, "
        "Switzerland, from 15 to 18 April 2013.'",
    ),
    "im2014": (
        "Intersessional Meeting 2014 (ISU archive)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://ccm3.pronk.se/meetings/intersessional-meetings/april-2014/",
        "'The Fourth Intersessional Meeting of the CCM took place in the World Meteorological "
        "Organization building in Geneva on 7-9 April 2014.'",
    ),
    "gichd2015": (
        "GICHD news: intersessional meeting of the Convention on Cluster Munitions (22 June 2015)",
        "Geneva International Centre for Humanitarian Demining",
        "2015-06-22",
        "day",
        "",
        "https://gichd.org/the-gichd/news/current-event-intersessional-meeting-of-the-convention-on-"
        "cluster-munitions",
        "The intersessional meeting 'opened today in Geneva' (22 June 2015), a two-day meeting 'held at "
        "the World Meterological Organization'.",
    ),
    "final_3msp": (
        "CCM/MSP/2012/5 Final report of the Third Meeting of States Parties",
        "Third Meeting of States Parties to the Convention on Cluster Munitions",
        "2012-10-15",
        "day",
        "CCM/MSP/2012/5",
        "https://docslib.org/doc/3627930",
        "Headed 'Third Meeting of States Parties, Oslo, 11–14 September 2012'. Read from a copy on "
        "docslib.org.",
    ),
    "comp1213": (
        "Coordination Committee composition 2012–2013",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://ccm3.pronk.se/meetings/coordination-committee-meetings/composition-2012-2013/",
        "President Norway (3MSP); President-designate Zambia (4MSP). Coordinators with their terms: "
        "general status and operation, Zambia (2012-2013) and Costa Rica (2012-2014); universalization, "
        "Portugal (2012-2013) and Ghana (2012-2014); victim assistance, Bosnia and Herzegovina "
        "(2012-2013) and Afghanistan (2012-2014); clearance and risk reduction education, Ireland "
        "(2012-2013) and Lao PDR (2012-2014); stockpile destruction and retention, Croatia (2012-2013) "
        "and Spain (2012-2014); cooperation and assistance, Mexico (2012-2013) and Sweden (2012-2014); "
        "transparency reporting, Belgium (2012-2013); national implementation measures, New Zealand "
        "(2012-2013). Observers: CMC, ICRC, UN; Executive Coordinator and interim ISU: UNDP-BCPR.",
    ),
    "msp_list": (
        "Meetings of States Parties (ISU archive)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://ccm4.pronk.se/meetings-of-states-parties/",
        "List of the Meetings of States Parties with places and dates (it gives the 1MSP wrongly as "
        "'9-12 September 2010').",
    ),
    "cmc_5msp": (
        "Cluster Munition Coalition: The Fifth Meeting of States Parties to the Convention on Cluster "
        "Munitions",
        "Cluster Munition Coalition",
        None,
        "day",
        "",
        "http://www.stopclustermunitions.org/en-gb/the-treaty/treaty-meetings/meetings-of-states-parties/"
        "5th-meeting-of-states-parties-to-the-convention-on-cluster-munitions.aspx",
        "'2-5 September 2014, San Jose, Costa Rica'.",
    ),
    "comp1415": (
        "Coordination Committee composition 2014–2015",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://ccm3.pronk.se/meetings/coordination-committee-meetings/composition-2014-2015/",
        "Presidency Costa Rica (5MSP); President-designate of the First Review Conference: Croatia.",
    ),
    "mineaction": (
        "Mine Action: statements, Convention on Cluster Munitions",
        "mineaction.org",
        None,
        "day",
        "",
        "https://mineaction.org/resources/statements-convention-cluster-munitions",
        "Meetings with places and dates: 3MSP Oslo, 11–14 September 2012; 4MSP Lusaka, 9–13 September "
        "2013; 5MSP San José, 2–5 September 2014; First Review Conference, Dubrovnik, 7–11 September "
        "2015; 7MSP Geneva, 4–6 September 2017; 8MSP Geneva, 3–5 September 2018.",
    ),
    "msp6": (
        "Sixth Meeting of States Parties (ISU archive)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://ccm3.pronk.se/meetings/msp/6msp",
        "6MSP at the Palais des Nations, Geneva, 5–7 September 2016, presided by the Netherlands "
        "(Ambassador Henk Cor van der Kwast); the presidency was handed over to Germany (Ambassador "
        "Michael Biontino) for the 7MSP.",
    ),
    "cc1718": (
        "Thematic coordination 2017–2018 (Coordination Committee)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://clusterconvention.org/work-programme/thematic-coordination/",
        "Composition 2017–2018: 'Presidency Nicaragua' (8MSP).",
    ),
    "cmc_9msp": (
        "Cluster Munition Coalition news: Ninth Meeting of States Parties (2019)",
        "Cluster Munition Coalition",
        "2019-01-01",
        "year",
        "",
        "https://stopclustermunitions.org/en-gb/media/news/2019/ccm-9msp.aspx",
        "9MSP at the Palais des Nations, Geneva, 2–4 September 2019.",
    ),
    "wvcbl": (
        "WVCBL: Ninth Meeting of States Parties of the Convention on Cluster Munitions",
        "World Veterans Campaign to Ban Landmines (wvcbl.org)",
        None,
        "day",
        "",
        "https://wvcbl.org/?p=1557",
        "'The Ninth Meeting of States Parties (9MSP) ... was held place from 2 to 4 September 2019 at "
        "the Palais des Nations in Geneva'; 'the 9MSP President, Aliyar Lebbe Abdul Azeez, officially "
        "handed over Presidency of the Convention to Swiss Ambassador, Félix Baumann'.",
    ),
    "lankanews": (
        "Lanka News Lines: news item on Sri Lanka's Permanent Representative in Geneva (December 2019)",
        "lankanewslines.blogspot.com",
        "2019-12-01",
        "month",
        "",
        "https://lankanewslines.blogspot.com/2019/12/",
        "Aliyar Lebbe Abdul Azeez is Sri Lanka's Permanent Representative in Geneva.",
    ),
    "ccm_2rc": (
        "Second Review Conference (2RC)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://clusterconvention.org/second-review-conference/",
        "'The Second Review Conference ... will be held on 23-27 November 2020 at the SwissTech "
        "Convention Center in Lausanne, Switzerland'; its President: 'H.E. Mr. Félix Baumann, "
        "Ambassador and Permanent Representative of Switzerland to the Conference on Disarmament'.",
    ),
    "humdis2020": (
        "Condemn All Use of Cluster Munitions—Whatever the Language: Reflections from the Virtual Second "
        "Review Conference of the Convention on Cluster Munitions",
        "humanitariandisarmament.org",
        "2020-12-09",
        "day",
        "",
        "https://humanitariandisarmament.org/2020/12/09/condemn-all-use-of-cluster-munitions-whatever-"
        "the-language-reflections-from-the-virtual-second-review-conference-of-the-convention-on-"
        "cluster-munitions/",
        "'The first part of its Second Review Conference was held virtually from November 25-27, 2020'; "
        "'The second part of the conference is scheduled for February 4-5, 2021 as a hybrid meeting in "
        "Geneva.'",
    ),
    "ccm_10msp": (
        "Tenth Meeting of States Parties (10MSP)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://clusterconvention.org/?p=4643",
        "10MSP in Geneva, 30 August–2 September 2022, presided by the United Kingdom (Ambassador Aidan "
        "Liddle); the 11MSP presidency: Iraq (Ambassador Abdul-Karim Hashim Mostafa); the 12MSP "
        "presidency: Mexico.",
    ),
    "unoda_12msp": (
        "UNODA: Twelfth Meeting of States Parties of the Convention on Cluster Munitions",
        "United Nations Office for Disarmament Affairs",
        None,
        "day",
        "",
        "https://meetings.unoda.org/meeting/72122",
        "'The Twelfth Meeting of States Parties of the Convention on Cluster Munitions will take place "
        "from 10 to 13 September 2024 in Geneva at the Palais des Nations.' (A swiss-congress.ch listing "
        "reads '10 September 2024 — 13 October 2024'.)",
    ),
    "ccm_13msp": (
        "Thirteenth Meeting of States Parties (13MSP)",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://www.clusterconvention.org/13msp",
        "'Presided by the Philippines'; 'H.E. Mr. Carlos D. Sorreta, Ambassador Extraordinary and "
        "Plenipotentiary, Permanent Representative of the Philippines to the United Nations Office and "
        "other international organizations in Geneva, presided over the 13MSP.' Documents include the "
        "analysis of Afghanistan's Article 4.1 extension request (CCM/MSP/2025/3).",
    ),
    "laotiantimes2025": (
        "Lao Delegation Marks 15 Years of Cluster Munitions Convention at Geneva Meeting (Laotian Times)",
        "The Laotian Times",
        "2025-09-19",
        "day",
        "",
        "https://laotiantimes.com/2025/09/19/lao-delegation-marks-15-years-of-cluster-munitions-"
        "convention-at-geneva-meeting/",
        "The 13th Meeting of States Parties was 'held in Geneva, Switzerland, from 16 to 19 September' "
        "2025. (It calls Norway's Permanent Representative the meeting's president, which contradicts the "
        "ISU's page and the Vientiane Times, both naming Ambassador Carlos Sorreta of the Philippines.)",
    ),
    "ccm_13msp_int": (
        "Thirteenth Meeting of States Parties (13MSP): date, venue and invitation",
        "Convention on Cluster Munitions Implementation Support Unit",
        None,
        "day",
        "",
        "https://www.clusterconvention.org/13msp-int",
        "'The Thirteenth Meeting of States Parties (13MSP) is scheduled to take place from 16 to 19 "
        "September 2025 at the Tempus Building of the Palais des Nations in Geneva, Switzerland.'",
    ),
}


# --- Helpers ------------------------------------------------------------------


def saved(obj):
    """Validate ``obj`` as an admin form would, save it and return it."""
    obj.full_clean()
    obj.save()
    return obj


def normalised(text):
    return re.sub(r"\s+", " ", text.replace("**", "").replace("*", "")).strip()


class Seeds:
    """The seed documents, to check that every quotation taken from them is verbatim."""

    def __init__(self, folder):
        self.texts = {}
        for key in ("000", "001"):
            (path,) = sorted(Path(folder).glob(f"{key}_*.txt"))
            self.texts[key] = normalised(path.read_text(encoding="utf-8"))

    def check(self, key, *phrases):
        for phrase in phrases:
            if normalised(phrase).rstrip(".") not in self.texts[key]:
                raise SystemExit(f"Seed {key} does not say: {phrase!r}")


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def optional_date(value):
    return D(value) if value else None


# --- Builders -----------------------------------------------------------------


def build_sources(models):
    sources = {}
    for key, (title, publisher, day, precision, symbol, url, notes) in SOURCES.items():
        sources[key] = saved(
            models.Source(
                title=title,
                publisher=publisher,
                date=optional_date(day),
                date_precision=precision,
                symbol=symbol,
                url=url,
                notes=notes,
            )
        )
    return sources


def build_treaty(models):
    return saved(
        models.Treaty(
            name="Convention on Cluster Munitions",
            short_name="CCM",
            slug="ccm",
            adopted_on=D("2008-05-30"),
            opened_for_signature_on=D("2008-12-03"),
            depositary="Secretary-General of the United Nations",
            eif_instruments=30,
            eif_rule="month_start",
            eif_period=6,
            withdrawal_months=6,
            stockpile_article="Art. 3",
            clearance_article="Art. 4",
            stockpile_years=8,
            stockpile_extension_years=4,
            clearance_years=10,
            clearance_extension_years=5,
            initial_report_days=180,
            annual_report_month=4,
            annual_report_day=30,
        )
    )


def build_states(models, state_rows):
    """Create the 193 UN members, the 2 observer states, the Cook Islands and Niue."""
    countries = country_data()
    depositary_names = {row["iso2"]: row["state"] for row in state_rows}
    wanted = {iso2 for iso2, row in countries.items() if row["UNmember"]} | OBSERVERS | OTHERS
    unknown = set(depositary_names) - wanted
    if unknown:
        raise SystemExit(f"ccm_states.csv has codes that are not tracked States: {sorted(unknown)}")
    states = {}
    for iso2 in sorted(wanted):
        row = countries[iso2]
        subregion = SUBREGION_FIXES.get(iso2, row["UNregion"])
        if iso2 in OBSERVERS:
            membership = models.State.Membership.OBSERVER
        elif iso2 in OTHERS:
            membership = models.State.Membership.OTHER
        else:
            membership = models.State.Membership.MEMBER
        states[iso2] = saved(
            models.State(
                name=depositary_names.get(iso2) or UN_NAMES.get(iso2) or row["name_short"],
                iso2=iso2,
                iso3=row["ISO3"],
                region=REGION_OF_SUBREGION[subregion],
                subregion=subregion,
                membership=membership,
            )
        )
    return states


def build_participations(models, treaty, states, state_rows, sources):
    participations = {}
    for row in state_rows:
        participation = saved(
            models.Participation(
                treaty=treaty,
                state=states[row["iso2"]],
                signature_date=optional_date(row["signature_date"]),
                instrument=row["instrument"],
                deposit_date=optional_date(row["deposit_date"]),
                provisional_application_date=optional_date(row["provisional_application_date"]),
                withdrawal_notice_date=optional_date(row["withdrawal_notice_date"]),
                notes=row["notes"],
                source=sources["untc"],
            )
        )
        participations[row["iso2"]] = participation
    # The threshold moves as deposits arrive: let the treaty settle every computed date.
    treaty.refresh_from_db()
    treaty.refresh_dates(force=True)
    for row in state_rows:
        participation = participations[row["iso2"]]
        participation.refresh_from_db()
        # A check on the data, not a computation: the model's date must match the depositary's.
        expected = optional_date(row["withdrawal_effective_date"])
        if participation.withdrawal_effective_date != expected:
            raise SystemExit(
                f"{row['state']}: withdrawal effective {participation.withdrawal_effective_date}"
            )
    return participations


def build_meetings(models, treaty, states, sources, seeds):
    """The Meetings of States Parties, the Review Conferences and the intersessional meetings."""
    seeds.check(
        "001",
        "The 3MSP will be held in Oslo, Norway, from 10-14 September 2012, with Amb. Steffen Kongstad as "
        "President-Designate.",
        "The next intersessional meetings will be held in Geneva from 16-19 April 2012.",
    )

    def meeting(**fields):
        return saved(models.Meeting(treaty=treaty, **fields))

    ch = states["CH"]
    meetings = {}
    meetings["1MSP"] = meeting(
        kind="msp",
        number=1,
        name="First Meeting of States Parties",
        short_name="1MSP",
        city="Vientiane",
        country=states["LA"],
        start_date=D("2010-11-09"),
        end_date=D("2010-11-12"),
        dates_note="One ISU archive page (ccm4.pronk.se) gives '9-12 September 2010'; UNODA and the CMC "
        "give 9–12 November 2010.",
        president_state=states["LA"],
        outcomes="Adopted the Vientiane Action Plan: in the words of the Secretary-General's message to the "
        "2MSP, 'a far-reaching and encouraging Action Plan committing States to undertake a range of "
        "concrete actions to give effect to the Convention'. Approved Lebanon as host of the 2MSP "
        "(Cluster Munition Coalition).",
        source=sources["cmc_1msp"],
    )
    meetings["IM2011"] = meeting(
        kind="intersessional",
        number=1,
        name="First Intersessional Meeting",
        short_name="IM2011",
        city="Geneva",
        country=ch,
        start_date=D("2011-06-27"),
        end_date=D("2011-06-30"),
        source=sources["im2011"],
    )
    seeds.check(
        "001",
        "Beirut Declaration, reaffirming states' commitment to end the harm caused by cluster munitions "
        "and acknowledging the challenges that remain;",
        "Beirut Progress Report, which presents an aggregated analysis of trends and figures in the "
        "implementation of the Vientiane Action Plan;",
        "Work programme for 2012, Implementation architecture and Intersessional work:",
        "Six working groups were created, each led by two coordinators from States Parties: general status "
        "and operation of the convention, universalization, victim assistance, clearance and risk "
        "reduction, stockpile destruction and retention, cooperation and assistance. In addition, one "
        "coordinator was appointed to lead on reporting, and one on national implementation measures.",
        "States Parties will continue to work towards the establishment of an implementation support unit "
        "(ISU), with the possibility to convene an extra-ordinary meeting of States Parties in Geneva at a "
        "moment to be determined, to operationalize the ISU before the 3MSP;",
        "Final document, about the organization and work of the 2MSP.",
        "The drafts were adopted without major modifications.",
    )
    seeds.check(
        "000",
        "I congratulate the 62 States that have so far joined the Convention",
        "I call upon all others to sign or accede to it as a matter of urgency",
        "the First Meeting of States Parties in Vientiane adopted a far-reaching and encouraging Action Plan "
        "committing States to undertake a range of concrete actions to give effect to the Convention.",
    )
    meetings["2MSP"] = meeting(
        kind="msp",
        number=2,
        name="Second Meeting of States Parties",
        short_name="2MSP",
        city="Beirut",
        country=states["LB"],
        venue="Phoenicia Intercontinental Hotel",
        start_date=D("2011-09-12"),
        end_date=D("2011-09-16"),
        dates_note="12–16 September 2011 per the CMC and the Lebanon Mine Action Center; UNODA gives 13–16 "
        "September. The formal opening was on 13 September, the day Eswatini acceded ('the first day "
        "of the conference', UNDP).",
        president_state=states["LB"],
        outcomes="The plenary of 16 September 2011 adopted, without major modifications to the drafts: "
        "the Beirut Declaration, reaffirming States' commitment to end the harm caused by cluster "
        "munitions and acknowledging the challenges that remain; the Beirut Progress Report, an "
        "aggregated analysis of trends and figures in the implementation of the Vientiane Action Plan; "
        "the Work programme for 2012, Implementation architecture and Intersessional work — the 3MSP to "
        "be held in Oslo, Norway, from 10 to 14 September 2012 with Amb. Steffen Kongstad as "
        "President-Designate; the next intersessional meetings in Geneva from 16 to 19 April 2012; six "
        "working groups, each led by two coordinators from States Parties (general status and operation "
        "of the Convention, universalization, victim assistance, clearance and risk reduction, stockpile "
        "destruction and retention, cooperation and assistance), plus one coordinator on reporting and "
        "one on national implementation measures; continued work towards an implementation support "
        "unit (ISU), with the possibility of an extraordinary meeting of States Parties in Geneva, at a "
        "moment to be determined, to operationalize the ISU before the 3MSP; and the Final document, "
        "about the organization and work of the 2MSP. The plenary welcomed the Australian paper on land "
        "release and the New Zealand papers on national implementation measures. The meeting closed "
        "with the Survivors' Declaration, delivered by Raed Mokaied, Margaret Arach Orech and Thoumy "
        "Silamphan. The Secretary-General's message of 13 September congratulated 'the 62 States that "
        "have so far joined the Convention'; Eswatini, acceding that day, was hailed as the 63rd State "
        "Party.",
        source=sources["seed001"],
    )
    meetings["IM2012"] = meeting(
        kind="intersessional",
        number=2,
        name="Second Intersessional Meeting",
        short_name="IM2012",
        city="Geneva",
        country=ch,
        venue="World Meteorological Organization building",
        start_date=D("2012-04-16"),
        end_date=D("2012-04-19"),
        dates_note="Held on the dates the 2MSP announced (16–19 April 2012).",
        announced_in=sources["seed001"],
        source=sources["im_list"],
    )
    meetings["3MSP"] = meeting(
        kind="msp",
        number=3,
        name="Third Meeting of States Parties",
        short_name="3MSP",
        city="Oslo",
        country=states["NO"],
        start_date=D("2012-09-11"),
        end_date=D("2012-09-14"),
        dates_note="Held 11–14 September 2012 (final report CCM/MSP/2012/5; also mineaction.org and the "
        "ISU archive). The 2MSP had announced 10–14 September 2012.",
        announced_start_date=D("2012-09-10"),
        announced_end_date=D("2012-09-14"),
        announced_in=sources["seed001"],
        president_state=states["NO"],
        president_name="Ambassador Steffen Kongstad",
        president_designated_at=meetings["2MSP"],
        outcomes="The Oslo Progress Report, submitted by Lebanon as President of the 2MSP, monitored the "
        "Vientiane Action Plan from the 2MSP to the 3MSP. The Coordination Committee for 2012–2013 "
        "lists Zambia as President-designate of the 4MSP.",
        source=sources["final_3msp"],
    )
    meetings["IM2013"] = meeting(
        kind="intersessional",
        number=3,
        name="Third Intersessional Meeting",
        short_name="IM2013",
        city="Geneva",
        country=ch,
        start_date=D("2013-04-15"),
        end_date=D("2013-04-18"),
        source=sources["im2013"],
    )
    meetings["4MSP"] = meeting(
        kind="msp",
        number=4,
        name="Fourth Meeting of States Parties",
        short_name="4MSP",
        city="Lusaka",
        country=states["ZM"],
        start_date=D("2013-09-09"),
        end_date=D("2013-09-13"),
        president_state=states["ZM"],
        source=sources["mineaction"],
    )
    meetings["IM2014"] = meeting(
        kind="intersessional",
        number=4,
        name="Fourth Intersessional Meeting",
        short_name="IM2014",
        city="Geneva",
        country=ch,
        venue="World Meteorological Organization building",
        start_date=D("2014-04-07"),
        end_date=D("2014-04-09"),
        source=sources["im2014"],
    )
    meetings["5MSP"] = meeting(
        kind="msp",
        number=5,
        name="Fifth Meeting of States Parties",
        short_name="5MSP",
        city="San José",
        country=states["CR"],
        start_date=D("2014-09-02"),
        end_date=D("2014-09-05"),
        president_state=states["CR"],
        source=sources["cmc_5msp"],
    )
    meetings["IM2015"] = meeting(
        kind="intersessional",
        number=5,
        name="Fifth Intersessional Meeting",
        short_name="IM2015",
        city="Geneva",
        country=ch,
        venue="World Meteorological Organization",
        start_date=D("2015-06-22"),
        end_date=D("2015-06-23"),
        outcomes="The last intersessional meeting: the First Review Conference agreed that until the next "
        "Review Conference one Meeting of States Parties would take place annually, with no "
        "intersessional meetings foreseen (ISU archive).",
        source=sources["gichd2015"],
    )
    meetings["1RC"] = meeting(
        kind="review",
        number=1,
        name="First Review Conference",
        short_name="1RC",
        city="Dubrovnik",
        country=states["HR"],
        start_date=D("2015-09-07"),
        end_date=D("2015-09-11"),
        president_state=states["HR"],
        source=sources["mineaction"],
    )
    meetings["6MSP"] = meeting(
        kind="msp",
        number=6,
        name="Sixth Meeting of States Parties",
        short_name="6MSP",
        city="Geneva",
        country=ch,
        venue="Palais des Nations",
        start_date=D("2016-09-05"),
        end_date=D("2016-09-07"),
        president_state=states["NL"],
        president_name="Ambassador Henk Cor van der Kwast",
        source=sources["msp6"],
    )
    meetings["7MSP"] = meeting(
        kind="msp",
        number=7,
        name="Seventh Meeting of States Parties",
        short_name="7MSP",
        city="Geneva",
        country=ch,
        start_date=D("2017-09-04"),
        end_date=D("2017-09-06"),
        president_state=states["DE"],
        president_name="Ambassador Michael Biontino",
        source=sources["mineaction"],
    )
    meetings["8MSP"] = meeting(
        kind="msp",
        number=8,
        name="Eighth Meeting of States Parties",
        short_name="8MSP",
        city="Geneva",
        country=ch,
        start_date=D("2018-09-03"),
        end_date=D("2018-09-05"),
        president_state=states["NI"],
        source=sources["mineaction"],
    )
    meetings["9MSP"] = meeting(
        kind="msp",
        number=9,
        name="Ninth Meeting of States Parties",
        short_name="9MSP",
        city="Geneva",
        country=ch,
        venue="Palais des Nations",
        start_date=D("2019-09-02"),
        end_date=D("2019-09-04"),
        president_state=states["LK"],
        president_name="Aliyar Lebbe Abdul Azeez",
        outcomes="Considered the first extension requests: Bulgaria (Article 3), Germany and Lao PDR "
        "(Article 4). Granted Bulgaria's extension to 1 April 2021 (Monitor FAQ). The President handed "
        "over the presidency of the Convention to Switzerland (Ambassador Félix Baumann) for the Second "
        "Review Conference (WVCBL).",
        source=sources["cmc_9msp"],
    )
    meetings["2RC"] = meeting(
        kind="review",
        number=2,
        name="Second Review Conference",
        short_name="2RC",
        city="Lausanne",
        country=ch,
        venue="SwissTech Convention Center (as planned)",
        start_date=D("2020-11-25"),
        dates_note="Planned for 23–27 November 2020 in Lausanne; held in a COVID-affected format: a first, "
        "virtual part on 25–27 November 2020 and a second part scheduled for 4–5 February 2021 "
        "(humanitariandisarmament.org). The end date was not captured.",
        announced_start_date=D("2020-11-23"),
        announced_end_date=D("2020-11-27"),
        announced_in=sources["ccm_2rc"],
        president_state=ch,
        president_name="Ambassador Félix Baumann",
        source=sources["ccm_2rc"],
    )
    meetings["10MSP"] = meeting(
        kind="msp",
        number=10,
        name="Tenth Meeting of States Parties",
        short_name="10MSP",
        city="Geneva",
        country=ch,
        start_date=D("2022-08-30"),
        end_date=D("2022-09-02"),
        president_state=states["GB"],
        president_name="Ambassador Aidan Liddle",
        source=sources["ccm_10msp"],
    )
    meetings["11MSP"] = meeting(
        kind="msp",
        number=11,
        name="Eleventh Meeting of States Parties",
        short_name="11MSP",
        city="Geneva",
        country=ch,
        start_date=D("2023-09-01"),
        dates_precision="month",
        dates_note="September 2023; 12 September 2023 was a meeting day (HRW photo caption). The exact "
        "dates are not in the sources read.",
        president_state=states["IQ"],
        president_name="Ambassador Abdul-Karim Hashim Mostafa",
        outcomes="Bulgaria handed over the formal documents confirming the completion of its stockpile "
        "destruction to the President on 12 September 2023 (HRW photo caption).",
        source=sources["hrw2023"],
    )
    meetings["12MSP"] = meeting(
        kind="msp",
        number=12,
        name="Twelfth Meeting of States Parties",
        short_name="12MSP",
        city="Geneva",
        country=ch,
        venue="Palais des Nations",
        start_date=D("2024-09-10"),
        dates_note="Started 10 September 2024. UNODA announced 10–13 September; a swiss-congress.ch listing "
        "reads '10 September 2024 — 13 October 2024', apparently garbled. End date left empty.",
        announced_start_date=D("2024-09-10"),
        announced_end_date=D("2024-09-13"),
        announced_in=sources["unoda_12msp"],
        president_state=states["MX"],
        president_name="Ambassador Francisca Elizabeth Méndez Escobar",
        outcomes="Analysed the Article 4 extension requests of Chad, Germany and Lao PDR (CCM/MSP/2024/4-6).",
        source=sources["ccm_12msp"],
    )
    meetings["13MSP"] = meeting(
        kind="msp",
        number=13,
        name="Thirteenth Meeting of States Parties",
        short_name="13MSP",
        city="Geneva",
        country=ch,
        venue="Tempus Building, Palais des Nations",
        start_date=D("2025-09-16"),
        end_date=D("2025-09-19"),
        dates_note="Held 16–19 September 2025 (Laotian Times, 19 September 2025), the dates scheduled by the "
        "ISU (clusterconvention.org/13msp-int).",
        president_state=states["PH"],
        president_name="Ambassador Carlos D. Sorreta",
        outcomes="Considered Article 4 extension requests for clearance deadlines in 2026, Afghanistan's "
        "among them.",
        source=sources["ccm_13msp"],
    )
    return meetings


GROUPS = [
    # (slug, name, seats, description)
    ("general-status-and-operation", "General status and operation of the Convention", 2, None),
    ("universalization", "Universalization", 2, None),
    ("victim-assistance", "Victim assistance", 2, None),
    ("clearance-and-risk-reduction", "Clearance and risk reduction", 2, None),
    ("stockpile-destruction-and-retention", "Stockpile destruction and retention", 2, None),
    ("cooperation-and-assistance", "Cooperation and assistance", 2, None),
    (
        "transparency-reporting",
        "Transparency reporting",
        1,
        "A single coordinator role: 'one coordinator was appointed to lead on reporting' (2MSP).",
    ),
    (
        "national-implementation-measures",
        "National implementation measures",
        1,
        "A single coordinator role: one coordinator was appointed to lead 'on national implementation "
        "measures' (2MSP).",
    ),
]


def build_working_groups(models, treaty, meetings, sources):
    thematic = (
        "One of the six working groups created at the 2MSP, 'each led by two coordinators from States "
        "Parties'."
    )
    groups = {}
    for position, (slug, name, seats, description) in enumerate(GROUPS, start=1):
        groups[slug] = saved(
            models.WorkingGroup(
                treaty=treaty,
                name=name,
                slug=slug,
                seats=seats,
                established_at=meetings["2MSP"],
                description=description or thematic,
                position=position,
                source=sources["seed001"],
            )
        )
    return groups


def build_assignments(models, states, groups, meetings, sources):
    """Coordinator assignments exactly as sourced; no inferred pairs."""
    term_2011 = {
        "term_start": D("2011-09-16"),
        "term_end": D("2012-09-14"),
        "term_label": "2011–2012",
        "appointed_at": meetings["2MSP"],
    }
    rows = [
        (
            "general-status-and-operation",
            "ZM",
            term_2011,
            "oslo_pr",
            "Named as Coordinator on General Status and Operation of the Convention in the Oslo Progress "
            "Report (2MSP to 3MSP).",
        ),
        (
            "general-status-and-operation",
            "VA",
            term_2011,
            "oslo_pr",
            "Named as Coordinator on General Status and Operation of the Convention in the Oslo Progress "
            "Report (2MSP to 3MSP).",
        ),
        (
            "victim-assistance",
            "BA",
            term_2011,
            "im2012_va",
            "Opened the victim assistance session of the intersessional meeting on 16 April 2012 as "
            "Coordinator on Victim Assistance.",
        ),
        (
            "victim-assistance",
            "AT",
            term_2011,
            "im2012_va",
            "Closed the victim assistance session of the intersessional meeting on 16 April 2012 as "
            "Coordinator on Victim Assistance.",
        ),
    ]
    # The 2012–2013 composition (3MSP to 4MSP). The source labels each member's term;
    # it does not say which meeting appointed those labelled "2012-2013".
    one_year = {"term_start": D("2012-09-14"), "term_end": D("2013-09-13"), "term_label": "2012–2013"}
    two_years = {
        "term_start": D("2012-09-14"),
        "term_end": D("2014-09-05"),
        "term_label": "2012–2014",
        "appointed_at": meetings["3MSP"],
    }
    one_year_note = (
        "Listed with the term '2012-2013' in the Coordination Committee composition 2012–2013; the "
        "meeting that appointed it is not stated."
    )
    two_year_note = "Listed with the term '2012-2014' in the Coordination Committee composition 2012–2013."
    for slug, first, second in [
        ("general-status-and-operation", "ZM", "CR"),
        ("universalization", "PT", "GH"),
        ("victim-assistance", "BA", "AF"),
        ("clearance-and-risk-reduction", "IE", "LA"),
        ("stockpile-destruction-and-retention", "HR", "ES"),
        ("cooperation-and-assistance", "MX", "SE"),
    ]:
        rows.append((slug, first, one_year, "comp1213", one_year_note))
        rows.append((slug, second, two_years, "comp1213", two_year_note))
    rows.append(("transparency-reporting", "BE", one_year, "comp1213", one_year_note))
    rows.append(("national-implementation-measures", "NZ", one_year, "comp1213", one_year_note))
    for slug, iso2, term, source_key, notes in rows:
        if slug == "clearance-and-risk-reduction" and term is not term_2011:
            notes += " The source names the group 'Clearance and risk reduction education'."
        saved(
            models.CoordinatorAssignment(
                group=groups[slug], state=states[iso2], notes=notes, source=sources[source_key], **term
            )
        )


def build_steps(models, treaty, states, participations, sources, seeds):
    """Steps towards joining reported at the 2MSP on 16 September 2011 (seed 001)."""
    day = D("2011-09-16")
    for iso2 in ("KI", "TH"):
        participations[iso2] = saved(
            models.Participation(
                treaty=treaty,
                state=states[iso2],
                notes="Not a signatory: no entry in the depositary's status list as at 3 February 2026. "
                "Recorded for its statement at the 2MSP.",
                source=sources["seed001"],
            )
        )
    steps = [
        (
            "AU",
            "intention",
            "Australia said that once the necessary legislative measures are in place, it would move "
            "quickly towards ratification.",
            None,
            "day",
        ),
        (
            "CI",
            "intention",
            "Cote d'Ivoire indicated that after renewal of the parliament in late 2011, it hoped to speed "
            "up the ratification process.",
            "2011-09-01",
            "late",
        ),
        ("CY", "before_parliament", "Cyprus said its law was before the parliament.", None, "day"),
        ("CY", "intention", "Cyprus expressed the hope to ratify next year.", "2012-01-01", "year"),
        (
            "SE",
            "before_parliament",
            "Sweden said the parliament procedures for ratification were being finalized.",
            None,
            "day",
        ),
        (
            "SE",
            "intention",
            "Sweden said the convention would enter into force for Sweden at some point in 2012.",
            "2012-01-01",
            "year",
        ),
        (
            "SE",
            "legislation_drafted",
            "An implementation law including penal sanctions for prohibited acts has been drafted.",
            None,
            "day",
        ),
        ("KI", "considering", "Kiribati said it is considering accession.", None, "day"),
        (
            "TH",
            "assessing",
            "Thailand said it is at a critical juncture in assessing its stance towards accession, and "
            "that constructive engagement from the international community is a crucial element for its "
            "next steps as well as in the ongoing review process.",
            None,
            "day",
        ),
    ]
    # Four descriptions split one sentence of the seed in two; the others quote it verbatim.
    split = {
        ("CY", "before_parliament"),
        ("CY", "intention"),
        ("SE", "before_parliament"),
        ("SE", "intention"),
    }
    seeds.check(
        "001",
        "Cyprus said its law was before the parliament and expressed the hope to ratify next year.",
        "Sweden said the parliament procedures for ratification were being finalized and that the "
        "convention would enter into force for Sweden at some point in 2012.",
    )
    for iso2, kind, description, expected, precision in steps:
        if (iso2, kind) not in split:
            seeds.check("001", description)
        saved(
            models.RatificationStep(
                participation=participations[iso2],
                kind=kind,
                date=day,
                date_precision="day",
                description=description,
                expected_date=optional_date(expected),
                expected_precision=precision,
                source=sources["seed001"],
            )
        )


def build_obligations(models, participations, meetings, sources, seeds, known_rows):
    """Update the obligations the sources speak of; add the extensions they report."""
    known = {row["iso2"] for row in known_rows}

    def obligation(iso2, kind, **fields):
        if iso2 not in known and iso2 != "SE":
            raise SystemExit(f"{iso2} is not in ccm_obligations_known.csv")
        item = participations[iso2].obligations.get(kind=kind)
        item.applicability = "applicable"
        for name, value in fields.items():
            setattr(item, name, value)
        return saved(item)

    def extension(item, **fields):
        return saved(models.Extension(obligation=item, **fields))

    # Clearance completed before the Monitor's 2019 report (as of 1 August 2019).
    for iso2 in ("AL", "CG", "GD", "GW", "MR", "MZ", "NO", "ZM"):
        obligation(
            iso2,
            "clearance",
            completed_on=D("2019-08-01"),
            completed_precision="before",
            progress="Listed by Cluster Munition Monitor 2019 (as of 1 August 2019) among the eight States "
            "Parties that had completed clearance of their cluster munition-contaminated areas; the "
            "completion date is not given.",
            source=sources["mon2019cc"],
        )
    obligation(
        "BA",
        "clearance",
        completed_on=D("2023-08-01"),
        completed_precision="month",
        progress="Completed clearance in August 2023, the ninth State Party to do so (summary of Cluster "
        "Munition Monitor 2024).",
        source=sources["udas"],
    )
    lebanon = obligation(
        "LB",
        "clearance",
        progress="On 1 May 2011 the Convention entered into force for Lebanon, 'meaning that Lebanon now "
        "has 10 years to clear all known contaminated areas' (CMC, 16 May 2011). Extended by five years to "
        "1 May 2026 (Mine Action Review). In March 2025 the ISU and the Lebanon Mine Action Center "
        "discussed a further extension request: 92% of the known contamination cleared, operations halted "
        "since October 2023 by the conflict on the southern border.",
        source=sources["cmc_lebanon2011"],
    )
    extension(
        lebanon,
        decision="granted",
        new_deadline=D("2026-05-01"),
        new_deadline_precision="day",
        notes="A five-year extension to 1 May 2026 (Mine Action Review). The meeting and the day of the "
        "decision are not in the sources read.",
        source=sources["mar_lb"],
    )
    extension(
        lebanon,
        notes="A further Article 4 extension request discussed with the ISU in Geneva on 19-20 March 2025. "
        "The meeting, the decision and the new deadline are not in the sources read, so the request is "
        "recorded as pending.",
        source=sources["ccm_lb_2025"],
    )

    # Bulgaria: the first Article 3 extension ever requested, then two more.
    bulgaria = obligation(
        "BG",
        "stockpile",
        completed_on=D("2023-06-01"),
        completed_precision="month",
        progress="Deadline October 2019 (Monitor 2017; the 2015 profile's 'April 2019' contradicts the "
        "entry into force on 1 October 2011). Destruction started in 2018. Completed in June 2023, "
        "ahead of the 31 December 2023 deadline (Monitor 2023). On 12 September 2023, at the 11MSP, "
        "Bulgaria handed the documents confirming the destruction of 6,862 cluster munitions and "
        "186,349 submunitions to the President of the Convention (HRW photo caption).",
        source=sources["mon_bg_2023"],
    )
    extension(
        bulgaria,
        requested_deadline=D("2021-04-01"),
        decision="granted",
        meeting=meetings["9MSP"],
        new_deadline=D("2021-04-01"),
        new_deadline_precision="day",
        notes="Requested in April 2019: 18 more months, from 1 October 2019 to 1 April 2021 — the first "
        "Article 3 extension request under the Convention. Granted at the 9MSP in September 2019 (Monitor "
        "FAQ); the day of the decision is not given. Also listed among the 9MSP extension requests on "
        "clusterconvention.org/9msp.",
        source=sources["mon_faq"],
    )
    extension(
        bulgaria,
        decision="granted",
        new_deadline=D("2022-10-01"),
        new_deadline_precision="month",
        notes="Monitor 2022 speaks of Bulgaria's 'October 2022 stockpile destruction deadline', so a further "
        "extension beyond 1 April 2021 was in force. BHMAC (February 2021) lists Bulgaria among the States "
        "whose extension requests were to be decided by silence procedure after the second part of the "
        "2RC was cancelled. The meeting, the decision date and the day are not in the sources read; the "
        "CMC (2022) calls the next request Bulgaria's 'second', which this row contradicts.",
        source=sources["mon_bg_2022"],
    )
    extension(
        bulgaria,
        decision="granted",
        new_deadline=D("2023-12-31"),
        new_deadline_precision="day",
        notes="Requested for 'a relatively short period of 15 months', to a 'newly requested deadline in "
        "2023' (CMC statement, c. 2022). Monitor 2023 gives the deadline as 31 December 2023. The meeting "
        "that granted it is not confirmed in the sources read.",
        source=sources["mon_bg_2023"],
    )

    peru = obligation(
        "PE",
        "stockpile",
        completed_on=D("2023-01-01"),
        completed_precision="year",
        progress="Fulfilled its Article 3 obligation 'before the stipulated deadline of 1 April 2024'; this "
        "'marks the completion of cluster munitions stockpile destruction for all State Parties to the "
        "CCM' (ISU announcement, 2023; the day is not given).",
        source=sources["ccm_peru"],
    )
    extension(
        peru,
        decision="granted",
        new_deadline=D("2024-04-01"),
        new_deadline_precision="day",
        notes="Extended deadline 1 April 2024 (ISU announcement). The meeting that granted it is not in the "
        "sources read.",
        source=sources["ccm_peru"],
    )
    obligation(
        "SK",
        "stockpile",
        completed_on=D("2023-01-01"),
        completed_precision="year",
        progress="Declared fulfilment of its Article 3 obligation in 2023 (ISU announcement on Peru's "
        "completion; the day is not given).",
        source=sources["ccm_peru"],
    )
    obligation(
        "ZA",
        "stockpile",
        completed_on=D("2023-01-01"),
        completed_precision="year",
        progress="The CMC welcomed South Africa's 'assurance that it will meet its stockpile destruction "
        "deadline in 2023' (CMC statement, c. 2022). Declared fulfilment of its Article 3 obligation in "
        "2023 (ISU announcement on Peru's completion; the day is not given).",
        source=sources["ccm_peru"],
    )

    # Clearance extension requests whose outcome and new deadline the sources do not give.
    germany = obligation(
        "DE",
        "clearance",
        progress="Deadline 1 August 2020, extended to 1 August 2025 after a request considered at the 9MSP "
        "(ISU country profile, May 2020). A further request was analysed at the 12MSP (CCM/MSP/2024/5); "
        "its outcome is not in the sources read.",
        source=sources["isu_de_2020"],
    )
    extension(
        germany,
        requested_on=D("2019-01-15"),
        decision="granted",
        meeting=meetings["9MSP"],
        new_deadline=D("2025-08-01"),
        new_deadline_precision="day",
        notes="Request of 15 January 2019 (clusterconvention.org/9msp), considered at the 9MSP (2019). The "
        "ISU's country profile (May 2020) gives the deadline as 'extended to 1 August 2025'; the day of the "
        "decision is not given.",
        source=sources["isu_de_2020"],
    )
    extension(
        germany,
        meeting=meetings["12MSP"],
        notes="Analysed at the 12MSP (2024), document CCM/MSP/2024/5; the decision and new deadline are not "
        "in the sources read, so the request is recorded as pending.",
        source=sources["ccm_12msp"],
    )
    lao = obligation(
        "LA",
        "clearance",
        progress="Original Article 4 deadline 1 August 2020 (ISU news, 20 November 2018). At the 8MSP "
        "(September 2018) Lao PDR said it would not be able to comply and would request an extension. "
        "Requests were considered at the 9MSP (2019) and analysed at the 12MSP (2024, CCM/MSP/2024/6); "
        "the new deadlines are not in the sources read.",
        source=sources["isu_lao2018"],
    )
    extension(
        lao,
        meeting=meetings["9MSP"],
        notes="Considered at the 9MSP (2019); request documents dated 26 February 2019. The decision and "
        "new deadline are not in the sources read, so the request is recorded as pending.",
        source=sources["ccm_9msp"],
    )
    extension(
        lao,
        meeting=meetings["12MSP"],
        notes="Analysed at the 12MSP (2024), document CCM/MSP/2024/6; the decision and new deadline are not "
        "in the sources read, so the request is recorded as pending.",
        source=sources["ccm_12msp"],
    )
    chad = obligation(
        "TD",
        "clearance",
        progress="An Article 4 extension request was analysed at the 12MSP (2024, CCM/MSP/2024/4); its dates "
        "are not in the sources read.",
        source=sources["ccm_12msp"],
    )
    extension(
        chad,
        meeting=meetings["12MSP"],
        notes="Analysed at the 12MSP (2024), document CCM/MSP/2024/4; the decision and new deadline are not "
        "in the sources read, so the request is recorded as pending.",
        source=sources["ccm_12msp"],
    )
    afghanistan = obligation(
        "AF",
        "clearance",
        progress="An Article 4 extension request for its clearance deadline in 2026 was considered at the "
        "13MSP (2025). A deadline in 2026 implies an earlier extension beyond the original one, which is "
        "not in the sources read.",
        source=sources["ccm_13msp_er"],
    )
    extension(
        afghanistan,
        meeting=meetings["13MSP"],
        notes="Considered at the 13MSP (2025) (analysis CCM/MSP/2025/3); the decision and new deadline are "
        "not in the sources read, so the request is recorded as pending.",
        source=sources["ccm_13msp_er"],
    )

    # Sweden (seed 001): destruction under way before Sweden joined.
    seeds.check("001", "stockpile destruction has started and should be completed in 2014.")
    obligation(
        "SE",
        "stockpile",
        expected_completion=D("2014-01-01"),
        expected_precision="year",
        completed_on=D("2015-04-01"),
        completed_precision="month",
        progress="Stockpile destruction has started (2nd Meeting of States Parties, 16 Sep 2011) and should "
        "be completed in 2014. Completed in April 2015: 370 cluster munitions and 20,595 submunitions "
        "destroyed, 125 submunitions retained (Cluster Munition Monitor, Sweden profile, 2016).",
        source=sources["seed001"],
    )


# --- Main ---------------------------------------------------------------------


def tracker_models():
    """The tracker app's models, without simple-history's Historical* copies."""
    from django.apps import apps

    return [
        model
        for model in apps.get_app_config("tracker").get_models()
        if not model.__name__.startswith("Historical")
    ]


def build(reference, seeds_folder):
    from django.core.management import call_command
    from django.db import transaction

    from tracker import models

    call_command("migrate", verbosity=0, interactive=False)
    seeds = Seeds(seeds_folder)
    state_rows = read_csv(reference / "ccm_states.csv")
    known_rows = read_csv(reference / "ccm_obligations_known.csv")
    with transaction.atomic():
        sources = build_sources(models)
        treaty = build_treaty(models)
        states = build_states(models, state_rows)
        participations = build_participations(models, treaty, states, state_rows, sources)
        meetings = build_meetings(models, treaty, states, sources, seeds)
        groups = build_working_groups(models, treaty, meetings, sources)
        build_assignments(models, states, groups, meetings, sources)
        build_steps(models, treaty, states, participations, sources, seeds)
        build_obligations(models, participations, meetings, sources, seeds, known_rows)
        # Shipped rows start at version 1 with one fixed timestamp, so the output is stable.
        for model in tracker_models():
            model.objects.update(version=1, updated_at=DATA_AS_AT)


def dump(path):
    """Write the tracker's non-historical models as JSON (UTF-8, ordered by primary key)."""
    from django.core.management import call_command

    labels = [model._meta.label for model in tracker_models()]
    buffer = io.StringIO()
    call_command("dumpdata", *labels, indent=1, stdout=buffer, verbosity=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue().rstrip("\n") + "\n", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True, help="the shared/reference folder")
    parser.add_argument("--seeds", type=Path, required=True, help="the shared/seeds folder")
    parser.add_argument("--output", type=Path, default=ROOT / "fixtures" / "ccm.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        os.environ["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(folder) / 'build.sqlite3'}"
        os.environ.setdefault("SECRET_KEY", "build-fixtures-only")
        import django

        django.setup()
        build(args.reference, args.seeds)
        dump(args.output)
        summary = ", ".join(f"{model.objects.count()} {model.__name__}" for model in tracker_models())
        from django.db import connection

        connection.close()
    version = importlib.metadata.version("country_converter")
    print(f"Wrote {args.output}: {summary} (country_converter {version}).")


if __name__ == "__main__":
    main()
