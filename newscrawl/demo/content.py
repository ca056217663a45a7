"""The demo site's articles: invented news from an invented town, written for newscrawl.

Harrowfield, its people and its institutions do not exist; any likeness is chance.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ARTICLES", "SECTIONS", "DemoArticle"]

SECTIONS = {
    "city": "City",
    "business": "Business",
    "science": "Science",
    "culture": "Culture",
}


@dataclass(frozen=True)
class DemoArticle:
    slug: str
    section: str
    title: str
    author: str
    published: str  # ISO 8601
    standfirst: str
    paragraphs: tuple[str, ...]


ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        "harrowfield-council-approves-river-footbridge",
        "city",
        "Harrowfield council approves new footbridge over the Alder",
        "Mira Okafor",
        "2026-10-02T09:15:00+00:00",
        "The crossing will link the old mill quarter with the station for the first time since 1964.",
        (
            "Harrowfield's town council voted by eleven to four on Thursday night to build a footbridge across the River Alder, ending a debate that has run through three elections and two public inquiries.",
            "The bridge will connect the old mill quarter, where more than two thousand people now live in converted warehouses, with the railway station on the far bank.",
            "Residents currently walk almost two kilometres to the nearest road bridge, a route that floods several times each winter and has no lighting after the park gates close.",
            "Councillor Dana Whitlow, who chairs the transport committee, said the vote was a turning point for a part of town that had been cut off for sixty years.",
            "Opponents argued that the estimated cost of 9.4 million pounds would be better spent on bus services, and warned that construction could disturb a colony of kingfishers nesting under the eastern bank.",
            "Work is expected to start next spring, subject to a survey of the riverbed, with the bridge opening to walkers and cyclists by the autumn of 2028.",
        ),
    ),
    DemoArticle(
        "school-meals-pilot-extended-to-all-primary-schools",
        "city",
        "Free breakfast pilot extended to every primary school in Harrowfield",
        "Tomasz Bell",
        "2026-10-05T07:30:00+00:00",
        "Head teachers say attendance rose in the twelve schools that tried the scheme.",
        (
            "Every primary school in Harrowfield will offer a free breakfast from January, after a year-long pilot in twelve schools was judged a success by the education board.",
            "Attendance in the pilot schools rose by an average of three percentage points, and teachers reported fewer children arriving tired or unable to concentrate during morning lessons.",
            "The scheme costs about forty pence per child per day and is paid for from a local levy on commercial car parks that was introduced in 2024.",
            "Priya Castellano, head teacher at Millbrook Primary, said the breakfast club had become the calmest half hour of the school day and a chance for staff to notice problems early.",
            "Some parents had worried that the scheme would stigmatise families who relied on it, but the board said take-up had been high across every neighbourhood.",
        ),
    ),
    DemoArticle(
        "night-buses-return-after-driver-shortage",
        "city",
        "Night buses return to Harrowfield after two-year driver shortage",
        "Mira Okafor",
        "2026-10-11T18:40:00+00:00",
        "Three routes will run hourly between midnight and five in the morning from next month.",
        (
            "Night buses will run again in Harrowfield from the first of November, two years after they were cut because the operator could not recruit enough drivers.",
            "Three routes will run hourly through the night, linking the hospital, the university campus and the industrial estate at Copper Lane with the town centre.",
            "The operator, Alder Valley Transit, said it had trained forty-six new drivers this year after raising starting pay and offering to cover the cost of licences.",
            "Nurses and cleaners at the hospital had campaigned for the return of the service, saying that taxis after a late shift cost them up to a fifth of their daily wage.",
            "The council will review passenger numbers after six months before deciding whether to add a fourth route to the northern estates.",
        ),
    ),
    DemoArticle(
        "library-opens-repair-cafe",
        "city",
        "Central library opens a repair café for broken lamps and bicycles",
        "Ines Haddad",
        "2026-10-19T10:00:00+00:00",
        "Volunteers fixed ninety-one items on the first Saturday, from toasters to a clarinet.",
        (
            "Harrowfield Central Library has turned its basement into a repair café where volunteers mend household items for free on the first Saturday of every month.",
            "On the opening day they fixed ninety-one things, including a 1970s record player, eleven bicycles, a cracked clarinet and a collection of reading lamps that had belonged to the library itself.",
            "The idea came from retired electrician Godfrey Amankwah, who said he was tired of seeing working parts thrown away because a single wire had come loose.",
            "Visitors are asked to stay and watch the repair so that they can fix the same fault themselves next time, and a shelf of manuals can be borrowed like any other book.",
            "The library hopes to add sewing machines and a small electronics bench in the new year if it can find more volunteers.",
        ),
    ),
    DemoArticle(
        "flood-wall-inspection-finds-cracks",
        "city",
        "Inspection finds cracks in Harrowfield's eastern flood wall",
        "Tomasz Bell",
        "2026-11-03T14:20:00+00:00",
        "Engineers say the wall is safe this winter but must be rebuilt within five years.",
        (
            "Engineers inspecting the flood defences along the eastern side of Harrowfield have found cracks in three sections of the concrete wall built after the floods of 1998.",
            "The report says the wall remains safe for this winter, but warns that water getting into the cracks could weaken the steel inside and that the sections should be rebuilt within five years.",
            "About four hundred homes and the town's water treatment works sit behind the wall, which was designed to hold back a flood of a size expected once in a century.",
            "The environment agency said it would install sensors to monitor the cracks and would publish the readings online every week so residents could follow them.",
            "Residents of Tanner's Row said they were grateful for the openness but wanted a firm date for the repairs rather than a promise to keep watching.",
        ),
    ),
    DemoArticle(
        "bakery-chain-opens-third-shop",
        "business",
        "Family bakery Crumb & Kettle opens its third shop in a former bank",
        "Selin Marsh",
        "2026-10-03T08:00:00+00:00",
        "The owners kept the vault door and now use it for proving dough.",
        (
            "Crumb & Kettle, the bakery started by the Oyelaran family in a garage in 2015, opened its third Harrowfield shop on Saturday in a building that was a bank for ninety years.",
            "The family kept the original vault door, which now guards a warm room where dough is left to rise overnight, and the old counters have become a long table for customers.",
            "Owner Bisi Oyelaran said the rent was lower than for a modern unit because few businesses wanted a building with walls half a metre thick.",
            "The new shop has created fourteen jobs, and the bakery now employs thirty-eight people, most of whom live within walking distance of one of its shops.",
            "The family said they had no plans to open outside the town and would rather make sure every loaf was baked within a mile of where it was sold.",
        ),
    ),
    DemoArticle(
        "copper-lane-factory-switches-to-four-day-week",
        "business",
        "Copper Lane factory moves its staff to a four-day week",
        "Ravi Lindqvist",
        "2026-10-09T12:10:00+00:00",
        "Output held steady during a six-month trial, the manufacturer says.",
        (
            "Pellham Valves, which makes valves for water companies at its factory on Copper Lane, will move its two hundred and ten staff to a four-day week with no cut in pay.",
            "During a six-month trial, output held steady and the number of days lost to sickness fell by almost a third compared with the same months last year.",
            "Managing director Hana Strom said the company had reorganised shifts so that the machines still ran five days a week, with teams overlapping on Wednesdays.",
            "The union representing most of the workers welcomed the change but said it would watch closely to make sure the longer days did not lead to more injuries.",
            "Several other employers on the industrial estate have asked to visit the factory to see how the new shifts work before deciding whether to try the idea.",
        ),
    ),
    DemoArticle(
        "market-hall-stallholders-win-rent-freeze",
        "business",
        "Market hall stallholders win a two-year rent freeze",
        "Selin Marsh",
        "2026-10-16T16:45:00+00:00",
        "Traders had threatened to leave after a proposed rise of eighteen per cent.",
        (
            "Stallholders at Harrowfield's Victorian market hall have won a two-year rent freeze after threatening to leave en masse over a proposed increase of eighteen per cent.",
            "The council, which owns the hall, said it had reconsidered after traders showed that footfall had only just recovered to the level it reached before the road works of 2023.",
            "Fishmonger Leon Adeyemi, whose family has had a stall in the hall since 1952, said the decision had saved at least a dozen businesses that were already running at a loss.",
            "In return, traders have agreed to open on Sunday mornings during a trial period, and to run a joint stall selling produce from farms within twenty miles of the town.",
            "The council will also spend part of its maintenance budget on repairing the glass roof, which has leaked over the cheese stalls for three winters.",
        ),
    ),
    DemoArticle(
        "credit-union-membership-doubles",
        "business",
        "Harrowfield credit union doubles its membership in a year",
        "Ravi Lindqvist",
        "2026-10-24T09:30:00+00:00",
        "Small loans for boilers and school uniforms make up most of its lending.",
        (
            "The Alder Valley Credit Union has doubled its membership in twelve months to just over nine thousand people, making it one of the fastest growing in the region.",
            "Most of its loans are small, averaging six hundred pounds, and are used to replace boilers, buy school uniforms or spread the cost of car repairs.",
            "Chief officer Marguerite Osei said many new members had come from a partnership with employers who let staff save a few pounds directly from their wages each month.",
            "The union charges far less than high-street lenders for small sums, and says that fewer than two in every hundred loans are not repaid in full.",
            "It plans to open a counter inside the market hall next year so that members can pay in cash without travelling to its office on the edge of town.",
        ),
    ),
    DemoArticle(
        "brewery-turns-spent-grain-into-dog-biscuits",
        "business",
        "Brewery turns spent grain into dog biscuits",
        "Selin Marsh",
        "2026-11-06T11:05:00+00:00",
        "The side business now makes more money than the brewery's bottled beer.",
        (
            "A small Harrowfield brewery that used to pay a farmer to take away its spent grain now bakes it into dog biscuits, and the side business has grown faster than the beer.",
            "Tall Chimney Brewing produces about two tonnes of wet grain each week, which it dries in a second-hand oven bought from a closed pizza restaurant.",
            "Co-founder Ezra Nakamura said the biscuits were sold in forty pet shops across the county and now brought in more money than the brewery's bottled beer.",
            "A vet at the university checked the recipe and advised the brewery to leave out hops entirely, since they are poisonous to dogs even in small amounts.",
            "The brewery hopes to hire two more bakers in the spring and to sell the biscuits through the market hall's new joint stall.",
        ),
    ),
    DemoArticle(
        "university-telescope-spots-comet",
        "science",
        "University telescope on Beacon Hill helps track a new comet",
        "Ada Ferreira",
        "2026-10-04T21:00:00+00:00",
        "Students took the first follow-up images within hours of the discovery.",
        (
            "Students at Harrowfield University used the small telescope on Beacon Hill to take some of the first follow-up images of a comet discovered last week by a survey in Chile.",
            "Their measurements, taken within hours of the announcement, helped astronomers narrow down the comet's orbit and confirm that it will pass well clear of the Earth.",
            "Dr Olu Brennan, who runs the observatory, said the clear skies over the hill had given the team a rare advantage while much of Europe was under cloud.",
            "The comet is expected to brighten through December and may be visible through binoculars from dark places early in the new year.",
            "The observatory will hold open evenings every Friday in December if the weather allows, with students on hand to point out the comet.",
        ),
    ),
    DemoArticle(
        "bees-return-to-restored-meadow",
        "science",
        "Rare mining bees return to a restored meadow by the ring road",
        "Ada Ferreira",
        "2026-10-13T13:15:00+00:00",
        "A species not recorded in the county for thirty years has been found nesting in bare ground.",
        (
            "Ecologists have found a rare mining bee nesting in a meadow beside Harrowfield's ring road, the first record of the species in the county for thirty years.",
            "The meadow was restored four years ago on land left over from road building, by scraping away rich topsoil so that wild flowers could compete with grass.",
            "The bees dig their nests in patches of bare, sunny ground, which volunteers keep open each autumn by raking away moss and cutting back brambles.",
            "Entomologist Farah Quinn said the find showed that even small, noisy plots of land could matter for insects if they were managed with care.",
            "The council has agreed to treat three more verges along the ring road in the same way next year and to stop mowing them in early summer.",
        ),
    ),
    DemoArticle(
        "hospital-trials-quiet-ward-lighting",
        "science",
        "Hospital trials lighting that dims with the sun to help patients sleep",
        "Nikolai Osei",
        "2026-10-21T08:20:00+00:00",
        "Patients on the trial ward slept forty minutes longer on average.",
        (
            "Harrowfield General Hospital has fitted one of its wards with lighting that changes colour and brightness through the day, following the pattern of natural daylight.",
            "In the first three months, patients on the ward slept on average forty minutes longer each night than patients on a similar ward with ordinary lights.",
            "Nurses said patients seemed less confused in the evenings, particularly older people recovering from operations, and that fewer needed sleeping tablets.",
            "The lights cost about twelve thousand pounds to install, and the hospital is now trying to work out whether shorter stays would pay back the cost.",
            "Researchers at the university will publish a full analysis next year, including whether the lighting affected staff working long night shifts.",
        ),
    ),
    DemoArticle(
        "schoolchildren-map-air-pollution",
        "science",
        "Schoolchildren map the town's air pollution street by street",
        "Nikolai Osei",
        "2026-10-29T15:00:00+00:00",
        "Cheap sensors carried in school bags found pollution peaks outside two primary schools.",
        (
            "More than three hundred Harrowfield schoolchildren carried small air sensors in their bags for a month, building the most detailed map yet of pollution in the town.",
            "The sensors recorded the air every ten seconds, and the readings showed sharp peaks outside two primary schools at drop-off time, when cars queue with their engines running.",
            "The project was designed by physics teachers at Alder High School, who built the sensors for less than thirty pounds each using parts ordered online.",
            "The council said it would trial closing the two streets to traffic for half an hour at the start and end of the school day from after Christmas.",
            "The pupils will present their map to the council's environment committee in January, and plan to repeat the survey in the summer to compare the seasons.",
        ),
    ),
    DemoArticle(
        "old-quarry-becomes-open-air-theatre",
        "culture",
        "Old quarry becomes an open-air theatre for summer plays",
        "Lena Achterberg",
        "2026-10-06T19:30:00+00:00",
        "The first season sold out in nine days.",
        (
            "A disused limestone quarry on the northern edge of Harrowfield has been turned into an open-air theatre, and its first summer season sold out in nine days.",
            "Volunteers cut terraces into the quarry floor to seat six hundred people, and the sheer rock face behind the stage carries voices without the need for microphones.",
            "The theatre's director, Cosmo Adebayo, said actors had to learn to pause for the swifts that nest in the rock and swoop low over the stage at dusk.",
            "Next year's programme includes a comedy written by a local playwright about the quarrymen who worked the site until it closed in 1981.",
            "The trust that runs the theatre is raising money for a simple roof over the back rows so that performances can carry on through summer showers.",
        ),
    ),
    DemoArticle(
        "choir-of-bus-drivers-releases-album",
        "culture",
        "Choir of bus drivers releases its first album",
        "Lena Achterberg",
        "2026-10-14T17:00:00+00:00",
        "The recordings were made in the depot after the last bus came in.",
        (
            "A choir made up of Harrowfield bus drivers, mechanics and cleaners has released its first album, recorded in the depot after the last bus of the night came in.",
            "The choir began three years ago as a way for staff on different shifts to meet, and now has forty members who rehearse in the canteen on Tuesday afternoons.",
            "Conductor Yusuf Pemberton said the depot's high roof gave the songs a long echo that professional studios charge a fortune to imitate.",
            "The album includes work songs, two hymns and a piece written by a mechanic about the sound of an engine starting on a frozen morning.",
            "Money from sales will pay for the choir to travel to a festival of workplace choirs in the spring.",
        ),
    ),
    DemoArticle(
        "museum-returns-ceremonial-drum",
        "culture",
        "Harrowfield museum returns a ceremonial drum to its makers' descendants",
        "Ines Haddad",
        "2026-10-22T11:40:00+00:00",
        "The drum was given to the museum in 1911 by a collector who had bought it from a trader.",
        (
            "Harrowfield Museum has returned a ceremonial drum to the community whose ancestors made it, more than a century after it arrived in the town.",
            "The drum was given to the museum in 1911 by a local collector, whose own notes show that he bought it from a trader without asking how it had been obtained.",
            "Curator Amara Lindgren said the museum had spent two years tracing the drum's history with the help of historians and elders from the community.",
            "At a ceremony in the museum's main hall, the drum was played for the first time in over a hundred years before being wrapped for its journey home.",
            "The museum said it was reviewing the rest of the collector's gift, about three hundred objects, and would publish what it found.",
        ),
    ),
    DemoArticle(
        "film-festival-shows-films-shot-on-phones",
        "culture",
        "Film festival shows only films shot on phones",
        "Lena Achterberg",
        "2026-11-01T20:00:00+00:00",
        "Entries came from thirty countries, and the winner was made by a sixteen-year-old.",
        (
            "Harrowfield's smallest film festival, which accepts only films shot on mobile phones, drew entries from thirty countries this year.",
            "The winning film, a twelve-minute portrait of a grandmother teaching her grandson to fish, was made by a sixteen-year-old student from the town's sixth-form college.",
            "Festival founder Pia Rasmussen said the rules were meant to show that good stories mattered more than expensive equipment.",
            "All of the shortlisted films were screened over three nights in the old corn exchange, where organisers hung a sail from a boat as the screen.",
            "Next year the festival plans to run workshops in schools so that more young people can enter their own films.",
        ),
    ),
    DemoArticle(
        "allotment-waiting-list-falls",
        "city",
        "Allotment waiting list falls as plots are split in half",
        "Tomasz Bell",
        "2026-11-08T09:00:00+00:00",
        "Half-size plots have cut waiting times from seven years to eighteen months.",
        (
            "The waiting list for allotments in Harrowfield has fallen from seven years to about eighteen months since the council began offering half-size plots.",
            "Many new gardeners had found full plots too much work and given them up within a year, so splitting them has meant that more people keep growing for longer.",
            "Allotment society secretary Ruth Mbeki said the half plots had also brought in younger members who could fit an hour of digging around work and children.",
            "Experienced growers now run a Saturday morning class for newcomers, covering everything from sowing beans to keeping pigeons off the cabbages.",
            "The council is looking at two further sites, including a strip of land beside the railway, to bring the waiting list down further.",
        ),
    ),
    DemoArticle(
        "startup-recycles-wind-turbine-blades",
        "business",
        "Startup turns old wind turbine blades into park benches",
        "Ravi Lindqvist",
        "2026-11-10T10:30:00+00:00",
        "The fibreglass blades are hard to recycle, and most end up in landfill.",
        (
            "A Harrowfield startup is turning old wind turbine blades into park benches and bus shelters, giving a second life to a material that is notoriously hard to recycle.",
            "The blades are made of fibreglass and resin, and most of those taken down across Europe still end up buried in landfill sites.",
            "Founder Keziah Olsen said each blade was strong enough to outlast the parks it would sit in, and that cutting it up took less energy than making new benches.",
            "The company has signed a contract to supply twenty benches to the council this year and is talking to two wind farm operators about a steady supply of blades.",
            "It employs nine people in a unit on Copper Lane and plans to double in size if the contracts go ahead.",
        ),
    ),
)
