"""The scenario schema: every parameter of a simulated collaborative, with unit and source.

A scenario is one flat set of named parameters. Each name is unique across the whole schema so
that users can type ``--set didactic_share=0.8`` without knowing the section; YAML files may still
group parameters under their section (``sessions: {didactic_share: 0.8}``) for readability.

Every default below cites where its number comes from. Three kinds of source appear:
- a published figure (the paper, Øvretveit et al. 2002, or a source listed in DESIGN.md);
- ``assumption``: a modelling choice with no published figure, stated so that it can be varied;
- ``calibrated``: an input tuned so that the built-in scenarios reproduce the paper's figures
  (calibration moves inputs only; no outcome is ever written directly).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PAPER = "Øvretveit et al. 2002, Qual Saf Health Care"
IHI_BTS = "IHI Breakthrough Series white paper 2003"

#: Sections in the order ``qicsim show`` prints them, each with the paper's challenge it serves.
SECTIONS: dict[str, str] = {
    "design": "calendar and size of the collaborative (Breakthrough Series) or its comparator",
    "subject": "challenge 1: choosing the right subject; the change package",
    "participants": "challenge 2: objectives, capacity to benefit, selection, sent teams",
    "roles": "challenge 3: organisers, experts, leader continuity",
    "preparation": "challenge 4: team building, pre-work, senior-leader engagement",
    "sessions": "challenge 5: mutual learning rather than teaching",
    "motivation": "challenge 6: motivating and empowering teams",
    "measurement": "challenge 7: measurable targets; the common measure",
    "data_and_change": "challenge 8: data and change skills",
    "sustaining": "challenge 9: sustaining improvement; continued QI use",
    "context": "the paper's five success factors and the team's home organisation",
    "pdsa": "rapid test cycles (plan-do-study-act)",
    "dropout": "leaving the collaborative before its end",
    "traditional": "the comparator: a traditional QI project team without a collaborative",
    "costs": "unit costs of the programme and of the participating organisations' time",
    "benefits": "what an improvement is worth: patients reached, savings, QALYs, discounting",
    "spread": "challenge 10: planning and learning for spread; the network that carries it",
}


def param(
    default: Any,
    *,
    section: str,
    unit: str,
    source: str,
    doc: str,
    ge: float | None = None,
    le: float | None = None,
) -> Any:
    """A schema field that carries its section, unit, source and one-line meaning."""
    assert section in SECTIONS, section
    return Field(
        default,
        ge=ge,
        le=le,
        description=doc,
        json_schema_extra={"section": section, "unit": unit, "source": source},
    )


class Scenario(BaseModel):
    """A complete, validated set of parameters for one simulated collaborative.

    Defaults are the ``breakthrough`` scenario: a generic IHI Breakthrough Series collaborative
    on a narrow, evidence-based subject. Unknown names, wrong types and out-of-range values are
    refused (strict validation); use :meth:`with_overrides` to derive variants.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)

    # ---- metadata (not parameters of the model) ----
    name: str = Field("breakthrough", description="scenario name")
    description: str = Field("", description="what this scenario represents")

    # ---- design ----
    mode: Literal["collaborative", "traditional", "none"] = param(
        "collaborative", section="design", unit="choice",
        source=f"{PAPER}: the collaborative and its comparator, the traditional QI team",
        doc="collaborative = Breakthrough Series; traditional = comparator team; none = no intervention",
    )
    teams: int = param(
        30, ge=1, le=500, section="design", unit="teams", source=f"{IHI_BTS}: 12-160 teams",
        doc="number of teams that enrol",
    )
    prework_months: float = param(
        2.0, ge=0, le=12, section="design", unit="months",
        source=f"{IHI_BTS}: a pre-work period precedes learning session 1",
        doc="pre-work before the first learning session",
    )
    learning_sessions: int = param(
        3, ge=1, le=12, section="design", unit="sessions",
        source=f"{IHI_BTS}: typically three learning sessions", doc="number of learning sessions",
    )
    session_days: float = param(
        2.0, ge=0.5, le=5, section="design", unit="days",
        source=f"{IHI_BTS}: two-day sessions; {PAPER}: 1-3 days", doc="length of each learning session",
    )
    action_period_months: float = param(
        3.0, ge=0.5, le=12, section="design", unit="months",
        source=f"{IHI_BTS}: 6-15 months in all, sessions about 3 months apart",
        doc="action period after each learning session",
    )
    congress_days: float = param(
        1.0, ge=0, le=5, section="design", unit="days",
        source="assumption: a one-day final congress", doc="final congress (0 = none)",
    )
    follow_up_months: float = param(
        24.0, ge=0, le=120, section="design", unit="months",
        source=f"{PAPER}: 'are improvements sustained 2 years after a collaborative?'",
        doc="follow-up after the end, in which sustain plays out",
    )
    attendees_per_team: int = param(
        3, ge=1, le=20, section="design", unit="people",
        source=f"{IHI_BTS}: each team sends about three members", doc="members attending each session",
    )
    team_members: int = param(
        6, ge=1, le=40, section="design", unit="people",
        source=f"{PAPER}, challenge 3: leader, clinician, opinion leader, quality specialist (+ others)",
        doc="members of a site project team",
    )

    # ---- subject (challenge 1) ----
    evidence_strength: float = param(
        0.7, ge=0, le=1, section="subject", unit="0-1",
        source=f"{PAPER}, challenge 1: choose a subject with evidence of effective interventions",
        doc="strength of research evidence behind the change package",
    )
    subject_specificity: float = param(
        0.8, ge=0, le=1, section="subject", unit="0-1",
        source=f"{PAPER}, challenge 1: narrow subjects work, broad ones ('cooperation') do not",
        doc="1 = narrow clinical process; 0 = broad subject where teams work on different things",
    )
    change_package_size: int = param(
        12, ge=1, le=100, section="subject", unit="change ideas",
        source="assumption: IHI change packages list about a dozen testable change ideas",
        doc="change ideas the faculty present",
    )
    change_effect_mean: float = param(
        0.12, ge=0, le=1, section="subject", unit="share of remaining gap",
        source="calibrated: breakthrough gives about 30% of teams a significant improvement (paper)",
        doc="mean effect of one adopted change",
    )

    # ---- participants (challenge 2) ----
    selection_policy: Literal["all_comers", "self_selected", "organiser_selected"] = param(
        "all_comers", section="participants", unit="choice",
        source=f"{PAPER}, challenge 2: no evidence that selected collaboratives did better",
        doc="who gets a place among the applicants",
    )
    applicants_per_place: float = param(
        1.5, ge=1, le=5, section="participants", unit="applicants/place",
        source="assumption", doc="applicant teams per place when places are selected",
    )
    self_assessment: bool = param(
        False, section="participants", unit="yes/no",
        source=f"{PAPER}, challenge 2: a self-assessment of capacity to benefit helps teams prepare",
        doc="applicants self-assess their capacity to benefit before enrolling",
    )
    share_sent_by_management: float = param(
        0.3, ge=0, le=1, section="participants", unit="share of teams",
        source=f"assumption; {PAPER}: some teams are 'sent' by their management",
        doc="teams sent rather than volunteered",
    )
    sent_motivation_penalty: float = param(
        0.25, ge=0, le=1, section="participants", unit="share of motivation",
        source=f"{PAPER}, challenge 2: sent teams 'less motivated' (anecdotal); size assumed",
        doc="motivation a sent team lacks at enrolment",
    )

    # ---- roles (challenge 3) ----
    organiser_capacity: float = param(
        0.7, ge=0, le=1, section="roles", unit="0-1",
        source=f"{PAPER}, challenge 3: organisers and facilitators need time and skill",
        doc="time and skill of organisers and facilitators to support teams",
    )
    expert_credibility: float = param(
        0.7, ge=0, le=1, section="roles", unit="0-1",
        source=f"{PAPER}, challenges 3 and 6: credible, briefed experts motivate",
        doc="credibility and briefing of faculty experts",
    )
    leader_turnover_per_year: float = param(
        0.15, ge=0, le=3, section="roles", unit="per year",
        source="ACHE: US hospital CEO turnover 14-18% a year (used for team leaders as a start)",
        doc="hazard that a team leader leaves",
    )
    leader_change_shock: float = param(
        0.3, ge=0, le=1, section="roles", unit="share",
        source=f"assumption; {PAPER}, challenge 4: changing leadership reduces effectiveness",
        doc="share of cohesion and motivation lost when the team leader changes",
    )
    leader_change_dropout_multiplier: float = param(
        10.0, ge=1, le=50, section="roles", unit="hazard ratio",
        source=f"calibrated; {PAPER}: a leader change is 'a strong predictor' of drop-out",
        doc="drop-out hazard ratio in the six months after a leader change",
    )
    senior_leader_turnover_per_year: float = param(
        0.16, ge=0, le=3, section="roles", unit="per year",
        source="ACHE: US hospital CEO turnover 14-18% a year", doc="hazard that a senior leader leaves",
    )

    # ---- preparation (challenge 4) ----
    prework_quality: float = param(
        0.5, ge=0, le=1, section="preparation", unit="0-1",
        source=f"{PAPER}, challenge 4: team building and data preparation before LS1",
        doc="how well teams are formed and prepared before the first session",
    )
    senior_support: float = param(
        0.6, ge=0, le=1, section="preparation", unit="0-1",
        source=f"{PAPER}: success factor 5, management support; mean over organisations",
        doc="visible support of senior leaders at enrolment",
    )
    senior_engagement_plan: float = param(
        0.3, ge=0, le=1, section="preparation", unit="0-1",
        source=f"{PAPER}, challenge 4: 'not sufficient to sign up senior leaders' and not re-engage",
        doc="how actively the collaborative keeps senior leaders engaged (0 = sign-up only)",
    )
    senior_engagement_decay_per_year: float = param(
        0.6, ge=0, le=5, section="preparation", unit="per year",
        source="assumption", doc="rate at which senior engagement fades unless kept up",
    )

    # ---- sessions (challenge 5) ----
    didactic_share: float = param(
        0.5, ge=0, le=1, section="sessions", unit="share of session time",
        source=f"{PAPER}, challenge 5: some organisers 'compressed too many didactic presentations'",
        doc="share of learning-session time spent on lectures rather than practice and team time",
    )
    informal_time_share: float = param(
        0.15, ge=0, le=0.5, section="sessions", unit="share of session time",
        source=f"{PAPER}, challenge 5: 'much know-how is transferred' informally",
        doc="share of session time for informal contact between teams",
    )

    # ---- motivation (challenge 6) ----
    motivation_mean: float = param(
        0.6, ge=0, le=1, section="motivation", unit="0-1",
        source="assumption", doc="mean motivation of volunteered teams at enrolment",
    )
    see_improvement_effect: float = param(
        0.25, ge=0, le=1, section="motivation", unit="0-1",
        source=f"{PAPER}, challenge 6: 'the strongest motivation comes from teams seeing improvements'",
        doc="motivation gained per month from seeing one's own data improve (per unit of progress)",
    )
    peer_example_effect: float = param(
        0.02, ge=0, le=0.5, section="motivation", unit="0-1 per example",
        source=f"{PAPER}, challenge 6: peers giving examples of changes builds confidence",
        doc="motivation gained per peer success heard at a session",
    )

    # ---- measurement (challenge 7) ----
    measure_name: str = param(
        "target measure (index)", section="measurement", unit="text",
        source="generic index", doc="the common measure teams track",
    )
    measure_unit: str = param("index", section="measurement", unit="text", source="generic index",
                              doc="unit of the measure")
    baseline_performance: float = param(
        1.0, section="measurement", unit="measure unit",
        source="generic index: baseline = 1", doc="mean baseline value of the measure",
    )
    baseline_sd_relative: float = param(
        0.1, ge=0, le=0.5, section="measurement", unit="share of baseline",
        source=f"{PAPER}: collaboratives chosen where there are 'large variations in care'",
        doc="between-team spread of the baseline",
    )
    best_practice_performance: float = param(
        0.5, section="measurement", unit="measure unit",
        source="assumption: best practice halves the generic index",
        doc="best-practice level of the measure",
    )
    target_ambition: float = param(
        0.5, ge=0.05, le=1, section="measurement", unit="share of gap",
        source=f"{PAPER}, challenge 7: challenging but achievable targets",
        doc="share of the gap to best practice that a team's goal asks it to close",
    )
    significant_improvement_threshold: float = param(
        0.2, ge=0.01, le=1, section="measurement", unit="relative change",
        source=f"{PAPER} (IHI ADE collaborative): 'an improvement of 20% or more in the target measure'",
        doc="relative improvement that counts as significant",
    )
    measurement_noise: float = param(
        0.10, ge=0, le=1, section="measurement", unit="relative sd",
        source="assumption: noise of a monthly measurement for a team without data skills",
        doc="measurement noise at zero data capability (falls as data capability grows)",
    )
    performance_drift_sd: float = param(
        0.03, ge=0, le=0.5, section="measurement", unit="share of gap per month",
        source=f"calibrated; {PAPER}: worst orthopaedic project's stay rose 12%",
        doc="month-to-month drift of performance not caused by the team's changes",
    )

    # ---- data and change (challenge 8) ----
    data_capability_mean: float = param(
        0.35, ge=0, le=1, section="data_and_change", unit="0-1",
        source=f"{PAPER}, challenge 8: data collection was the hardest task for teams",
        doc="teams' mean ability to collect and use data at enrolment",
    )
    data_support: float = param(
        0.5, ge=0, le=1, section="data_and_change", unit="0-1",
        source=f"{PAPER}, challenge 8: organisers often gave too little data support",
        doc="support for data collection from the collaborative",
    )
    change_support: float = param(
        0.5, ge=0, le=1, section="data_and_change", unit="0-1",
        source=f"{PAPER}, challenge 8: change skills, not only change knowledge",
        doc="support for change management (project, politics of change) from the collaborative",
    )

    # ---- sustaining (challenge 9) ----
    sustain_planning: float = param(
        0.2, ge=0, le=1, section="sustaining", unit="0-1",
        source=f"{PAPER}, challenge 9: 'many collaboratives did not make time to plan' sustaining",
        doc="how much teams learn and plan to institutionalise their changes",
    )
    institutionalisation_per_year: float = param(
        1.5, ge=0, le=10, section="sustaining", unit="per year",
        source="assumption: full sustain effort institutionalises a change in about 8 months",
        doc="rate at which changes become part of systems under full sustain effort",
    )
    decay_per_year: float = param(
        0.8, ge=0, le=10, section="sustaining", unit="per year",
        source="Repenning & Sterman 2001: effort-based gains erode once effort stops",
        doc="rate at which a change not institutionalised erodes without upkeep",
    )
    qi_stop_per_year: float = param(
        0.5, ge=0, le=10, section="sustaining", unit="per year",
        source=f"assumption; {PAPER}: 'less evidence of continuous improvement' after the end",
        doc="hazard that a team of average capability stops using QI methods after the end",
    )

    # ---- context: the five success factors ----
    teamwork_mean: float = param(
        0.55, ge=0, le=1, section="context", unit="0-1",
        source=f"{PAPER}: success factor 1, ability to work as a team", doc="mean team cohesion at enrolment",
    )
    qi_method_learning: float = param(
        0.5, ge=0, le=1, section="context", unit="0-1",
        source=f"{PAPER}: success factor 2, ability to learn and apply quality methods",
        doc="mean ability of teams to learn QI methods",
    )
    strategic_importance: float = param(
        0.6, ge=0, le=1, section="context", unit="0-1",
        source=f"{PAPER}: success factor 3, strategic importance to the home organisation",
        doc="mean strategic importance of the subject to organisations",
    )
    qi_culture: float = param(
        0.5, ge=0, le=1, section="context", unit="0-1",
        source=f"{PAPER}: success factor 4, culture of the home organisation; Kaplan et al. 2012 (MUSIQ)",
        doc="mean QI culture of organisations",
    )
    qi_capability_mean: float = param(
        0.15, ge=0, le=1, section="context", unit="0-1",
        source="assumption: most teams new to rapid-cycle QI", doc="teams' practised QI capability at enrolment",
    )
    staff_time_hours_per_week: float = param(
        3.0, ge=0, le=40, section="context", unit="hours/member/week",
        source="assumption; Sathe et al. 2016: 62-88% of QIC cost is labour",
        doc="protected time per team member for the project",
    )
    between_team_sd: float = param(
        0.2, ge=0, le=0.5, section="context", unit="0-1",
        source=f"{PAPER}: 'large differences in the resources available to different teams'",
        doc="spread of team and organisation attributes around their means",
    )

    # ---- pdsa ----
    tests_per_month: float = param(
        1.2, ge=0, le=30, section="pdsa", unit="tests/month",
        source=f"{PAPER}: 'many small changes in quick succession'; rate for a fully resourced team",
        doc="PDSA tests a motivated, cohesive, resourced team runs per month",
    )
    capability_per_test: float = param(
        0.03, ge=0, le=0.5, section="pdsa", unit="0-1 per test",
        source="assumption: learning by doing; every test, won or lost, builds capability",
        doc="capability gained from one test, scaled by the room left to learn",
    )
    follow_up_test_share: float = param(
        0.4, ge=0, le=1, section="pdsa", unit="share",
        source="assumption: teams still using QI after the end test at a lower rate",
        doc="test rate after the end relative to the action periods",
    )

    # ---- dropout ----
    dropout_hazard_per_year: float = param(
        0.18, ge=0, le=5, section="dropout", unit="per year",
        source=f"calibrated; {PAPER}: up to 30% drop out",
        doc="drop-out hazard of an average team (modified by motivation, support, time, clarity)",
    )

    # ---- traditional comparator ----
    organising_months: float = param(
        3.0, ge=0, le=24, section="traditional", unit="months",
        source=f"{PAPER} (ref 8): 'about 3 months' thinking through and organising",
        doc="mean time a traditional team spends organising",
    )
    diagnosis_months: float = param(
        5.0, ge=0, le=36, section="traditional", unit="months",
        source="calibrated: traditional teams reach a first result after 17 months on average",
        doc="mean time a traditional team spends diagnosing the problem and its causes",
    )
    project_months: float = param(
        24.0, ge=1, le=120, section="traditional", unit="months",
        source="assumption: a traditional project runs two years before its follow-up",
        doc="length of a traditional project (its 'collaborative period')",
    )
    own_idea_quality: float = param(
        0.35, ge=0, le=1, section="traditional", unit="0-1",
        source="assumption: self-found ideas have no evidence base or peer testing",
        doc="quality of a self-found change idea for a team of zero capability",
    )

    # ---- costs ----
    currency: str = param("USD", section="costs", unit="ISO 4217", source="assumption",
                          doc="currency of all money figures")
    price_year: int = param(2002, ge=1990, le=2100, section="costs", unit="year",
                            source=f"{PAPER}: year of publication", doc="price year of unit costs")
    wage_per_day: float = param(
        400.0, ge=0, le=10000, section="costs", unit="currency/person-day",
        source="assumption: blended clinician and manager salary with on-costs",
        doc="cost of one person-day of staff time",
    )
    travel_venue_per_attendee_day: float = param(
        250.0, ge=0, le=10000, section="costs", unit="currency/person-day",
        source="assumption: travel, lodging and venue per attendee and day",
        doc="meeting cost per attendee and day beyond wages",
    )
    cost_perspective: Literal["health_system", "programme"] = param(
        "health_system", section="costs", unit="choice",
        source="health-economic convention (health-system perspective); 'programme' = the sponsor's budget, "
               "which is what the paper's reported costs count",
        doc="which costs total_cost counts: the sponsor's programme only, or the whole health system",
    )
    organiser_cost_per_month: float = param(
        15000.0, ge=0, le=1e7, section="costs", unit="currency/month",
        source="calibrated: with the other unit costs, uk-orthopaedic's programme costs GBP 750,000 (paper)",
        doc="central programme team (director, facilitators, administration) while the collaborative runs",
    )
    organiser_cost_per_team_per_month: float = param(
        400.0, ge=0, le=1e6, section="costs", unit="currency/team/month",
        source="assumption: facilitator visits, calls and reports per team",
        doc="organisers' support per enrolled, active team",
    )
    faculty_experts: int = param(
        6, ge=0, le=100, section="costs", unit="experts", source=f"{IHI_BTS}: 5-8 faculty experts",
        doc="faculty at each learning session",
    )
    faculty_cost_per_day: float = param(
        1500.0, ge=0, le=1e5, section="costs", unit="currency/expert-day",
        source="assumption: fee and expenses of a clinical or improvement expert",
        doc="cost of one faculty expert for one day",
    )
    local_funding_per_team_per_month: float = param(
        0.0, ge=0, le=1e6, section="costs", unit="currency/team/month",
        source="assumption: none by default; some sponsors fund local project managers (uk-cancer)",
        doc="sponsor's funding of local project staff per active team",
    )
    data_collection_hours_per_month: float = param(
        8.0, ge=0, le=200, section="costs", unit="hours/team/month",
        source=f"assumption; {PAPER}, challenge 8: teams must 'find a cost effective way to collect' data",
        doc="staff time a team spends collecting and reporting data",
    )
    upkeep_hours_per_week: float = param(
        1.0, ge=0, le=40, section="costs", unit="hours/team/week",
        source="assumption: keeping adopted changes going after the end",
        doc="staff time after the end spent maintaining changes still in use",
    )
    discount_rate_per_year: float = param(
        0.035, ge=0, le=0.2, section="benefits", unit="per year",
        source="NICE reference case: 3.5% a year for costs and effects",
        doc="discount rate for costs and benefits",
    )
    patients_per_team_per_year: float = param(
        500.0, ge=0, le=1e7, section="benefits", unit="patients/team/year",
        source="assumption: patients a team's unit treats in a year",
        doc="patients whose care the measure describes, per team and year",
    )
    savings_per_unit: float = param(
        0.0, ge=-1e6, le=1e6, section="benefits", unit="currency/(measure unit x patient)",
        source="assumption: none for the generic index; e.g. the cost of a bed-day for length of stay",
        doc="money saved per unit of improvement per patient (a cost offset)",
    )
    qalys_per_unit: float = param(
        0.016, ge=0, le=100, section="benefits", unit="QALY/(measure unit x patient)",
        source="calibrated for the generic index: breakthrough's ICER against no intervention is of the order "
               "Huang et al. 2007 report for a QIC (about USD 33,000/QALY)",
        doc="quality-adjusted life years gained per unit of improvement per patient",
    )
    willingness_to_pay: float = param(
        30000.0, ge=0, le=1e7, section="benefits", unit="currency/QALY",
        source="NICE threshold GBP 20,000-30,000 per QALY; Huang et al. 2007 ICER about USD 33,000/QALY",
        doc="willingness to pay for one QALY, for net monetary benefit",
    )

    # ---- spread (challenge 10) ----
    units_per_organisation: int = param(
        5, ge=1, le=50, section="spread", unit="units/organisation",
        source="assumption: the wards, departments or sites of an organisation where the same change applies",
        doc="units in each organisation; one unit of a participating organisation sends the team",
    )
    other_organisations: int = param(
        30, ge=0, le=100_000, section="spread", unit="organisations",
        source="assumption: the region's other organisations, one per participant",
        doc="organisations in the network that do not take part (spread targets; ignored with a network file)",
    )
    network: Literal["small_world", "scale_free", "none", "file"] = param(
        "small_world", section="spread", unit="choice",
        source="Watts & Strogatz 1998 (regional small world); Barabási & Albert 1999 (scale-free)",
        doc="how organisations are tied: generated small-world or scale-free graph, none, or network_file",
    )
    network_file: str = param(
        "", section="spread", unit="path",
        source="user's own referral or regional network (GraphML, or an edge list: two node ids per line)",
        doc="organisation graph read when network = file (relative to the scenario file)",
    )
    network_degree: int = param(
        4, ge=0, le=100, section="spread", unit="organisations",
        source="assumption: an organisation is in regular contact with about four others in its region",
        doc="mean number of other organisations each organisation is tied to (generated graphs)",
    )
    network_rewiring: float = param(
        0.1, ge=0, le=1, section="spread", unit="probability",
        source="Watts & Strogatz 1998: small-world properties for shortcut probabilities of about 0.01-0.1",
        doc="share of a small-world graph's ties that are long-range shortcuts",
    )
    tie_formation: float = param(
        1.0, ge=0, le=1, section="spread", unit="0-1",
        source=f"{PAPER}, challenge 10: organisers give 'structured opportunities for exchange'",
        doc="how readily teams that meet at a session form a working tie (0 = sessions form no ties)",
    )
    informal_contact_per_month: float = param(
        0.1, ge=0, le=1, section="spread", unit="probability/month",
        source=f"assumption; {PAPER}, challenge 10: exchange 'inside and outside the meetings'",
        doc="chance that two fully tied teams exchange in a month between meetings",
    )
    post_collaborative_network: float = param(
        0.0, ge=0, le=1, section="spread", unit="0-1",
        source=f"{PAPER}, challenge 9: 'plan for a network to continue after the collaborative' "
               "(used successfully in one Australian collaborative)",
        doc="how far a community of practice is planned to keep teams' ties after the end",
    )
    tie_decay_per_year: float = param(
        1.0, ge=0, le=20, section="spread", unit="per year",
        source="assumption: without a planned network, ties between teams fade within a year or two",
        doc="rate at which ties between teams fade after the end without a community of practice",
    )
    spread_planning: float = param(
        0.0, ge=0, le=1, section="spread", unit="0-1",
        source=f"{PAPER}, challenge 10: spread 'is not a priority for many collaboratives'; planning and "
               "learning for it before the end",
        doc="how far teams and organisers plan and resource spread beyond the participants",
    )
    internal_collaborative: bool = param(
        False, section="spread", unit="yes/no",
        source=f"{PAPER}, challenge 10: 'a team and its organisation itself to establish an internal collaborative'",
        doc="participating organisations run their own collaborative to spread to their other units",
    )
    spread_innovation_per_year: float = param(
        0.03, ge=0, le=5, section="spread", unit="per year",
        source="Bass model innovation coefficient p, average 0.03 (Mahajan, Muller & Bass 1995; a starting point)",
        doc="adoption rate of an exposed unit on its own initiative",
    )
    spread_imitation_per_year: float = param(
        0.38, ge=0, le=20, section="spread", unit="per year",
        source="Bass model imitation coefficient q, average 0.38 (Mahajan, Muller & Bass 1995; a starting point)",
        doc="adoption rate of a unit all of whose contacts have adopted",
    )
    roll_out_chance: float = param(
        0.753, ge=0, le=1, section="spread", unit="probability",
        source="calibrated with roll_out_rate_per_year to the traditional projects: 26% rolled out (paper, ref 8); "
               "Greenhalgh et al. 2004: an organisation adopts, then implements across its units",
        doc="chance that an organisation of receptivity 1 decides to roll out a change working in one of its units",
    )
    roll_out_rate_per_year: float = param(
        1.857, ge=0, le=100, section="spread", unit="per year",
        source="calibrated to the traditional projects' 'roll out effort took on average 45 days' (paper, ref 8)",
        doc="adoption rate of each other unit of an organisation that decided to roll a change out",
    )
    spread_effect_share: float = param(
        0.5, ge=0, le=1, section="spread", unit="share",
        source="assumption; Greenhalgh et al. 2004: adopters adapt rather than copy, with less effect",
        doc="share of its source team's improvement that a unit gains by adopting without its own tests",
    )
    spread_hours_per_team_month: float = param(
        16.0, ge=0, le=500, section="spread", unit="hours/team/month",
        source="assumption: two days a month of a team's time at full spread planning",
        doc="staff time a team spends on spread, times spread_planning, while it works on QI",
    )
    internal_collaborative_cost_per_month: float = param(
        2000.0, ge=0, le=1e6, section="spread", unit="currency/organisation/month",
        source="assumption: a part-time facilitator and meetings for an organisation's internal collaborative",
        doc="cost of an internal collaborative, per participating organisation, while its team uses QI",
    )

    # ---- helpers ----
    def with_overrides(self, **flat: Any) -> Scenario:
        """A copy with some parameters changed, validated again."""
        from sim.scenario import validate  # local: scenario.py imports this module

        return validate({**self.model_dump(), **flat}, origin=f"scenario '{self.name}' with overrides")

    def to_yaml(self) -> str:
        """The scenario as a YAML file that :func:`sim.load_scenario` reads back to an equal scenario."""
        import yaml

        doc = {"name": self.name, "description": self.description, "parameters": self.parameters()}
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)

    def parameters(self) -> dict[str, Any]:
        """The model parameters only (no metadata), as a flat dict."""
        return {k: v for k, v in self.model_dump().items() if k in PARAMETER_NAMES}


def parameter_info(name: str) -> dict[str, Any]:
    """Section, unit, source, meaning and allowed range of one parameter."""
    field = Scenario.model_fields[name]
    extra = dict(field.json_schema_extra or {})
    lo = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    return {**extra, "doc": field.description, "default": field.default, "ge": lo, "le": hi,
            "allowed": allowed(name)}


def allowed(name: str) -> str:
    """Plain words for the values a parameter accepts."""
    field = Scenario.model_fields[name]
    ann = field.annotation
    choices = getattr(ann, "__args__", None)
    if choices and all(isinstance(c, str) for c in choices):
        return "one of " + ", ".join(choices)
    lo = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    hi = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    kind = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}.get(ann, str(ann))
    if lo is not None and hi is not None:
        return f"{kind} from {lo:g} to {hi:g}"
    if lo is not None:
        return f"{kind} of at least {lo:g}"
    return kind


PARAMETER_NAMES: tuple[str, ...] = tuple(
    n for n, f in Scenario.model_fields.items() if (f.json_schema_extra or {}).get("section")
)
