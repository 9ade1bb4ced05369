using CrmEtl.Core.Configuration;

namespace CrmEtl.Core.Tests.Configuration;

public sealed class ConfigurationValidatorTests
{
    private static IReadOnlyList<string> Problems(CompanyConfiguration config) => ConfigurationValidator.Validate(config, Builders.Catalog());

    [Test]
    public void A_sound_configuration_has_no_problems() => Assert.That(Problems(Builders.Valid()), Is.Empty);

    [Test]
    public void Two_won_steps_in_one_funnel_are_rejected()
    {
        var config = Builders.Valid() with { Steps = [.. Builders.Valid().Steps, new("Sales", 6, "Won again", Marker.Won, new RowOrigin("funnels.csv", 7))] };
        Assert.That(Problems(config), Is.EqualTo(new[] { "funnels.csv line 7: funnel 'Sales' has two Won steps ('Won' and 'Won again'); a funnel may put each marker on one step only." }));
    }

    [Test]
    public void A_stage_in_two_steps_of_one_funnel_is_rejected_naming_the_stage()
    {
        var config = Builders.Valid() with { Stages = [.. Builders.Valid().Stages, new("Acme Finland", 11, "Sales", "Quote", new RowOrigin("stages.csv", 9))] };
        Assert.That(Problems(config), Is.EqualTo(new[]
        {
            "stages.csv line 9: stage 'Qualified' (id 11) of instance 'Acme Finland' is mapped twice in funnel 'Sales' (steps Qualified, Quote); a stage may be in one step of a funnel only — several stages may share a step.",
        }));
    }

    [Test]
    public void Unknown_stages_instances_steps_and_fields_are_named()
    {
        var config = Builders.Valid() with
        {
            Stages = [new("Acme Finland", 99, "Sales", "Request"), new("Acme Norway", 10, "Sales", "Request"), new("Acme Finland", 12, "Sales", "Offer")],
            Filters = [new("Acme Finland", FilterEntities.Deal, FilterModes.Include, "Lead_Sorce = 'Web'")],
        };
        var problems = Problems(config);
        Assert.That(problems, Has.Some.StartsWith("instance 'Acme Finland' has no stage with id 99;"));
        Assert.That(problems, Has.Some.EqualTo("unknown instance 'Acme Norway'; the instances of company 'Acme Group' are: Acme Finland."));
        Assert.That(problems, Has.Some.StartsWith("funnel 'Sales' has no step 'Offer' (steps: Request, Qualified, Quote, Won, Lost)."));
        Assert.That(problems, Has.Some.StartsWith("the filter uses field 'Lead_Sorce', which deals of 'Acme Finland' do not have (fields: title, status,"));
    }

    [Test]
    public void Calculated_kpis_that_refer_to_each_other_in_a_cycle_are_rejected()
    {
        var config = Builders.Valid() with
        {
            Kpis = [.. Builders.Valid().Kpis, new("A", KpiKinds.Calculated, Expression: "B + 1"), new("B", KpiKinds.Calculated, Expression: "A * 2")],
        };
        Assert.That(Problems(config), Is.EqualTo(new[] { "calculated KPIs refer to each other in a cycle: A → B → A; break the cycle." }));
    }

    [Test]
    public void A_formula_naming_an_unknown_kpi_is_rejected() =>
        Assert.That(Problems(Builders.Valid() with { Kpis = [.. Builders.Valid().Kpis, new("Rate", KpiKinds.Calculated, Expression: "Won / Quotes")] }),
            Is.EqualTo(new[] { "the formula of KPI 'Rate' uses 'Quotes', which is not a KPI (KPIs: Won, Lost, Win rate, Calls, Leads, Rate)." }));

    [Test]
    public void A_target_for_an_unknown_person_or_a_misaligned_period_is_rejected()
    {
        var config = Builders.Valid() with
        {
            Targets =
            [
                new("Calls", Periods.Week, new DateOnly(2024, 5, 13), AssigneeKinds.Person, "Kalle", 10, new RowOrigin("targets.csv", 2)),
                new("Calls", Periods.Month, new DateOnly(2024, 5, 13), AssigneeKinds.Company, "Acme Group", 10, new RowOrigin("targets.csv", 3)),
            ],
        };
        Assert.That(Problems(config), Is.EqualTo(new[]
        {
            "targets.csv line 2: the target is for person 'Kalle', who is not known — map a CRM user to them in people.csv first (persons: Aino, Mia).",
            "targets.csv line 3: 2024-05-13 does not start a month; use 2024-05-01.",
        }));
    }

    [Test]
    public void A_target_on_a_calculated_kpi_is_for_the_company_only()
    {
        var config = Builders.Valid() with
        {
            Targets =
            [
                new("Win rate", Periods.Quarter, new DateOnly(2024, 4, 1), AssigneeKinds.Person, "Aino", 0.3m, new RowOrigin("targets.csv", 2)),
                new("Win rate", Periods.Quarter, new DateOnly(2024, 4, 1), AssigneeKinds.Company, "Acme Group", 0.3m, new RowOrigin("targets.csv", 3)),
            ],
        };
        Assert.That(Problems(config), Is.EqualTo(new[]
        {
            "targets.csv line 2: calculated KPI 'Win rate' is computed for the company as a whole, so its targets can only be for the company, not for a person; " +
            "set the target on the KPIs it is made of, or on the company.",
        }));
    }

    [Test]
    public void Rates_must_be_positive_iso_codes_once_per_day()
    {
        var problems = ConfigurationValidator.ValidateRates([
            new("SEK", "EUR", new DateOnly(2024, 1, 1), 0.09m, new RowOrigin("rates.csv", 2)),
            new("SEK", "EUR", new DateOnly(2024, 1, 1), 0.08m, new RowOrigin("rates.csv", 3)),
            new("usd", "EUR", new DateOnly(2024, 1, 1), 0m, new RowOrigin("rates.csv", 4)),
        ]);
        Assert.That(problems, Is.EqualTo(new[]
        {
            "rates.csv line 4: 'usd' is not a three-letter ISO currency code in capitals, e.g. EUR.",
            "rates.csv line 4: the rate 0 must be above 0 (1 usd = rate EUR).",
            "rates.csv line 3: two rates for SEK→EUR from 2024-01-01; keep one.",
        }));
    }
}
