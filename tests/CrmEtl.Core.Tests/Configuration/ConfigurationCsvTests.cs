using CrmEtl.Core.Configuration;

namespace CrmEtl.Core.Tests.Configuration;

public sealed class ConfigurationCsvTests
{
    private string _dir = "";

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("crmetl-csv-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private static readonly ExchangeRateRow[] Rates = [new("SEK", "EUR", new DateOnly(2024, 1, 1), 0.0875m)];

    [Test]
    public void Export_then_import_gives_the_same_configuration()
    {
        ConfigurationCsv.Export(Builders.Valid(), Builders.Catalog(), Rates, _dir);
        var (config, rates, problems) = ConfigurationCsv.Import(new CompanyConfiguration("Acme Group"), _dir);

        Assert.That(problems, Is.Empty);
        Assert.That(Comparable(config), Is.EqualTo(Comparable(Builders.Valid())));
        Assert.That(rates!.Select(r => r with { Origin = null }), Is.EqualTo(Rates));
    }

    [Test]
    public void The_export_lists_unmapped_stages_and_users_so_the_admin_can_fill_them_in()
    {
        ConfigurationCsv.Export(Builders.Valid() with { Stages = [], People = [] }, Builders.Catalog(), Rates, _dir);
        var stages = File.ReadAllLines(Path.Combine(_dir, ConfigurationCsv.Stages));
        Assert.That(stages[0], Is.EqualTo("instance,pipeline,stage,stage_id,funnel,step"));
        Assert.That(stages, Does.Contain("Acme Finland,Partners,Quote given,22,,"));
        Assert.That(File.ReadAllLines(Path.Combine(_dir, ConfigurationCsv.People)), Does.Contain("Acme Finland,7,Aino Virtanen,,"));
    }

    [Test]
    public void Malformed_cells_are_reported_with_file_and_line()
    {
        File.WriteAllText(Path.Combine(_dir, ConfigurationCsv.Targets),
            "kpi,period,period_start,assignee_kind,assignee,value\nCalls,week,2024-05-13,person,Aino,12\nCalls,week,13.5.2024,person,Aino,twelve\n");
        File.WriteAllText(Path.Combine(_dir, ConfigurationCsv.Funnels), "funnel,position,step,marker\nSales,1,Request,\nSales,x,Won,winner\n");
        var (_, _, problems) = ConfigurationCsv.Import(Builders.Valid(), _dir);
        Assert.That(problems, Is.EqualTo(new[]
        {
            "funnels.csv line 3: position 'x' is not a whole number.",
            "funnels.csv line 3: marker: 'winner' is not a marker; use won, refused, return, pause or leave it empty.",
            "targets.csv line 3: period_start '13.5.2024' is not a date as yyyy-MM-dd.",
            "targets.csv line 3: value 'twelve' is not a number with a decimal point, e.g. 12.5.",
        }));
    }

    [Test]
    public void A_runaway_quote_or_a_huge_cell_is_reported_with_its_line()
    {
        File.WriteAllText(Path.Combine(_dir, ConfigurationCsv.Targets),
            "kpi,period,period_start,assignee_kind,assignee,value\nCalls,week,2024-05-13,person,Aino,12\nCalls,week,2024-05-20,person,\"" + new string('A', 200_000) + "\n");
        File.WriteAllText(Path.Combine(_dir, ConfigurationCsv.People), "instance,user_id,person,team\nAcme Finland,7,Aino,North\nAcme Finland,8," + new string('M', 100_000) + ",South\n");
        var (_, _, problems) = ConfigurationCsv.Import(Builders.Valid(), _dir);
        Assert.That(problems, Has.Count.EqualTo(2));
        Assert.That(problems[0], Does.StartWith("people.csv line 3: the CSV cannot be read:").And.EndWith("Check quotes and separators."));
        Assert.That(problems[1], Does.StartWith("targets.csv line 3: the CSV cannot be read:").And.EndWith("Check quotes and separators."));
    }

    [Test]
    public void A_file_over_the_size_limit_is_refused_unread()
    {
        File.WriteAllText(Path.Combine(_dir, ConfigurationCsv.People), "instance,user_id,person,team\nAcme Finland,7,Aino,North\n");
        using (var huge = File.Create(Path.Combine(_dir, ConfigurationCsv.Targets)))
        {
            huge.Write("kpi,period,period_start,assignee_kind,assignee,value\n"u8);
            huge.SetLength(ConfigurationCsv.MaxFileBytes + 1);
        }
        var (_, _, problems) = ConfigurationCsv.Import(Builders.Valid(), _dir);
        Assert.That(problems, Is.EqualTo(new[] { "targets.csv: 64.0 MB, more than the 64 MB a configuration file may have; it was not read. Check that it is the file 'crmetl config export' wrote." }));
    }

    [Test]
    public void A_file_without_its_columns_is_rejected_by_name()
    {
        File.WriteAllText(Path.Combine(_dir, ConfigurationCsv.People), "name;team\nAino;North\n");
        var (_, _, problems) = ConfigurationCsv.Import(Builders.Valid(), _dir);
        Assert.That(problems, Is.EqualTo(new[] { "people.csv line 1: missing column(s) instance, user_id, person; the header must name instance, user_id, person, team." }));
    }

    [Test]
    public void Files_left_out_of_an_import_keep_their_part()
    {
        File.WriteAllText(Path.Combine(_dir, ConfigurationCsv.Targets), "kpi,period,period_start,assignee_kind,assignee,value\n");
        var (config, rates, problems) = ConfigurationCsv.Import(Builders.Valid(), _dir);
        Assert.That(problems, Is.Empty);
        Assert.That((config.Targets.Count, config.Kpis.Count, config.Stages.Count, rates), Is.EqualTo((0, Builders.Valid().Kpis.Count, Builders.Valid().Stages.Count, (IReadOnlyList<ExchangeRateRow>?)null)));
    }

    /// <summary>Rows without their origins, as one text per part, for comparing.</summary>
    private static string[] Comparable(CompanyConfiguration c) =>
    [
        c.ReportingCurrency,
        string.Join(";", c.Steps.Select(s => s with { Origin = null })),
        string.Join(";", c.Stages.Select(s => s with { Origin = null }).OrderBy(s => s.StageId)),
        string.Join(";", c.Kpis.Select(k => $"{k.Name}|{k.Kind}|{k.Funnel}|{k.Step}|{k.Measure}|{string.Join(',', k.ActivityTypes ?? [])}|{k.LeadSource}|{k.Expression}")),
        string.Join(";", c.Dimensions.Select(d => d with { Origin = null })),
        string.Join(";", c.People.Select(p => p with { Origin = null })),
        string.Join(";", c.Filters.Select(f => f with { Origin = null })),
        string.Join(";", c.Targets.Select(t => t with { Origin = null })),
    ];
}
