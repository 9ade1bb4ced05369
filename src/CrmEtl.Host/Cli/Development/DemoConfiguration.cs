using CrmEtl.Core.Configuration;

namespace CrmEtl.Host.Cli;

/// <summary>
/// The demo group's configuration, as an admin of "Acme Group" would set it up: one sales funnel that
/// gathers every pipeline of both countries (stages of the same meaning grouped into one step),
/// Won and Lost markers, countries and products, people in two teams, KPIs incl. calculated ones,
/// targets and exchange rates into the group currency (EUR).
/// </summary>
internal static class DemoConfiguration
{
    public const string Company = "Acme Group";
    private const string Funnel = "Sales";

    private static readonly (string Step, string[] Stages)[] Steps =
    [
        ("Request", ["Request", "Lead in", "Due", "Discovery", "Tender found"]),
        ("Qualified", ["Qualified", "Contact made", "Contacted", "Solution design", "Tender preparation"]),
        ("Meeting", ["Meeting", "Demo", "Business case"]),
        ("Quote given", ["Quote given", "Proposal", "Offer", "Submitted"]),
        ("Negotiation", ["Negotiation", "Legal", "Evaluation"]),
        ("Contract sent", ["Contract sent", "Signature"]),
    ];

    private static readonly Dictionary<string, string> Products = new(StringComparer.OrdinalIgnoreCase)
    {
        ["New business"] = "Licences", ["Partners"] = "Partner sales", ["Renewals"] = "Renewals",
    };

    public static CompanyConfiguration For(CrmCatalog catalog, DateOnly today)
    {
        var steps = Steps.Select((s, i) => new FunnelStepRow(Funnel, i + 1, s.Step, Marker.None)).ToList();
        steps.Add(new FunnelStepRow(Funnel, steps.Count + 1, "Won", Marker.Won));
        steps.Add(new FunnelStepRow(Funnel, steps.Count + 1, "Lost", Marker.Refused));

        var stages = new List<StageMappingRow>();
        var dimensions = new List<DimensionRow>();
        var people = new List<PersonRow>();
        foreach (var instance in catalog.Instances)
        {
            foreach (var stage in instance.Stages.Values.Where(s => !s.IsLeadStatus))
                // Zoho's Closed Won / Closed Lost stages are the Won and Lost steps; Pipedrive's won and lost statuses land there by themselves.
                if ((stage.ClosedWon ? "Won" : stage.ClosedLost ? "Lost" : Steps.FirstOrDefault(s => s.Stages.Contains(stage.Name, StringComparer.OrdinalIgnoreCase)).Step) is { } step)
                    stages.Add(new StageMappingRow(instance.Name, stage.Id, Funnel, step));
            var country = instance.Name.Replace("Acme ", "", StringComparison.Ordinal);
            var region = country switch { "Germany" => "DACH", "Ukraine" => "Eastern Europe", _ => "Nordics" };
            dimensions.Add(new DimensionRow(instance.Name, null, country, region, null));
            foreach (var (id, name) in instance.Pipelines)
                dimensions.Add(new DimensionRow(instance.Name, id, country, region, Products.GetValueOrDefault(name, name)));
            var index = 0;
            foreach (var (id, name) in instance.Users.OrderBy(u => u.Key))
                people.Add(new PersonRow(instance.Name, id, name, index++ % 2 == 0 ? "Team North" : "Team South"));
        }

        List<KpiRow> kpis =
        [
            .. steps.Select(s => new KpiRow(s.Step, KpiKinds.Stage, Funnel, s.Step)),
            new("Won value", KpiKinds.Stage, Funnel, "Won", KpiMeasures.Value),
            new("Win rate", KpiKinds.Calculated, Expression: "Won / (Won + Lost)"),
            new("Quote rate", KpiKinds.Calculated, Expression: "\"Quote given\" / Request"),
            new("Completed calls", KpiKinds.Activity, ActivityTypes: ["call"]),
            new("Meetings held", KpiKinds.Activity, ActivityTypes: ["meeting"]),
            new("New leads", KpiKinds.Lead),
        ];

        var targets = new List<TargetRow>();
        var thisWeek = Periods.Start(Periods.Week, today);
        foreach (var person in people.Select(p => p.Person).Distinct())
            for (var w = -8; w <= 0; w++)
                targets.Add(new TargetRow("Completed calls", Periods.Week, thisWeek.AddDays(7 * w), AssigneeKinds.Person, person, 3));
        var thisMonth = Periods.Start(Periods.Month, today);
        for (var m = -5; m <= 0; m++)
        {
            targets.Add(new TargetRow("Won value", Periods.Month, thisMonth.AddMonths(m), AssigneeKinds.Company, Company, 400_000));
            targets.Add(new TargetRow("Won", Periods.Month, thisMonth.AddMonths(m), AssigneeKinds.Team, "Team North", 20));
        }
        foreach (var country in dimensions.Select(d => d.Country!).Distinct())
            targets.Add(new TargetRow("Won value", Periods.Quarter, Periods.Start(Periods.Quarter, today), AssigneeKinds.Country, country, 900_000));

        var config = new CompanyConfiguration(Company)
        {
            ReportingCurrency = "EUR", Steps = steps, Stages = stages, Kpis = kpis, Dimensions = dimensions, People = people, Targets = targets,
        };
        // Zoho's lead statuses: a lead funnel per instance that has them.
        foreach (var instance in catalog.Instances.Where(i => i.Stages.Values.Any(s => s.IsLeadStatus)))
            config = MappingScaffold.LeadFunnel(config, instance, $"{instance.Name} leads");
        return config;
    }

    /// <summary>Rates into EUR and SEK (each instance reports in its own currency), changed once a year ago.</summary>
    public static IReadOnlyList<ExchangeRateRow> Rates(DateOnly today)
    {
        var longAgo = today.AddYears(-5);
        var yearAgo = today.AddYears(-1);
        (string Currency, decimal ToEur, decimal ToEurNow)[] table = [("USD", 0.90m, 0.92m), ("SEK", 0.088m, 0.087m), ("GBP", 1.16m, 1.17m), ("JPY", 0.0062m, 0.0060m), ("UAH", 0.024m, 0.021m)];
        var rates = new List<ExchangeRateRow>();
        foreach (var (currency, then, now) in table)
        {
            rates.Add(new ExchangeRateRow(currency, "EUR", longAgo, then));
            rates.Add(new ExchangeRateRow(currency, "EUR", yearAgo, now));
            if (currency != "SEK")
            {
                rates.Add(new ExchangeRateRow(currency, "SEK", longAgo, Math.Round(then / 0.088m, 4)));
                rates.Add(new ExchangeRateRow(currency, "SEK", yearAgo, Math.Round(now / 0.087m, 4)));
            }
        }
        rates.Add(new ExchangeRateRow("EUR", "SEK", longAgo, 11.36m));
        rates.Add(new ExchangeRateRow("EUR", "SEK", yearAgo, 11.49m));
        return rates;
    }
}
