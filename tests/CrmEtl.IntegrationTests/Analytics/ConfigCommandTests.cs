using CrmEtl.Host.Cli;

namespace CrmEtl.IntegrationTests.Analytics;

/// <summary>The admin's round trip through the real command line: export, edit in a "spreadsheet", import.</summary>
[NonParallelizable]
public sealed class ConfigCommandTests
{
    [Test]
    public async Task A_bad_edit_is_rejected_with_line_numbers_and_changes_nothing_and_a_good_one_changes_the_numbers()
    {
        await using var data = await KnownDataset.CreateAsync();
        var dir = Directory.CreateTempSubdirectory("crmetl-config-").FullName;
        try
        {
            var export = await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "export", "--company", "Acme Group", "--dir", dir);
            Assert.That(export.Exit, Is.EqualTo(ExitCodes.Ok), export.Error);
            var targets = Path.Combine(dir, "targets.csv");
            var original = await File.ReadAllTextAsync(targets);

            await File.AppendAllTextAsync(targets, "Completed calls,week,2024-06-17,person,Kalle,5\r\nCompleted calls,week,17.6.2024,person,Aino,5\r\n");
            var bad = await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "import", "--company", "Acme Group", "--dir", dir);
            Assert.That(bad.Exit, Is.EqualTo(ExitCodes.BadInput));
            Assert.That(bad.Error, Does.Contain("Nothing was changed").And.Contain("targets.csv line 5: period_start '17.6.2024' is not a date as yyyy-MM-dd."));
            Assert.That(await data.RowsAsync("SELECT count(*) FROM config.target"), Is.EqualTo(new[] { "2" }));

            await File.WriteAllTextAsync(targets, original.Replace("Aino,3", "Aino,4", StringComparison.Ordinal) + "Completed calls,week,2024-06-17,person,Kalle,5\r\n");
            var unknown = await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "import", "--company", "Acme Group", "--dir", dir);
            Assert.That(unknown.Exit, Is.EqualTo(ExitCodes.BadInput));
            Assert.That(unknown.Error, Does.Contain("targets.csv line 4: the target is for person 'Kalle', who is not known"));

            await File.WriteAllTextAsync(targets, original.Replace("Aino,3", "Aino,4", StringComparison.Ordinal));
            var good = await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "import", "--company", "Acme Group", "--dir", dir);
            Assert.That(good.Exit, Is.EqualTo(ExitCodes.Ok), good.Error);
            Assert.That(good.Out, Does.Contain("Acme Finland: analytics rebuilt"));
            Assert.That(await data.RowsAsync("SELECT target, actual, attainment FROM analytics.target_attainment WHERE kpi = 'Completed calls'"), Is.EqualTo(new[] { "4|3|0.75" }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Count_says_how_many_synced_records_a_filter_condition_matches_and_names_an_unknown_field()
    {
        await using var data = await KnownDataset.CreateAsync();
        var expected = await data.RowsAsync("""
            SELECT to_char(count(*) FILTER (WHERE d.status = 'won'), 'FM999,999') || ' of ' || to_char(count(*), 'FM999,999')
            FROM crm.deal d JOIN etl.instance i ON i.id = d.instance_id WHERE i.name = 'Acme Finland' AND NOT d.is_deleted
            """);
        var count = await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "count", "--instance", "Acme Finland", "--condition", "status = 'WON'");
        Assert.That(count.Exit, Is.EqualTo(ExitCodes.Ok), count.Error);
        Assert.That(count.Out.Trim(), Is.EqualTo($"{expected[0]} deals of 'Acme Finland' match."));
        Assert.That(expected[0], Does.Not.StartWith("0 "), "the dataset has won deals");

        var unknown = await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "count", "--instance", "Acme Finland", "--entity", "activity", "--condition", "colour = 'red'");
        Assert.That(unknown.Exit, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(unknown.Error, Does.Contain("the filter uses field 'colour', which activities of 'Acme Finland' do not have (fields: type, subject"));
    }

    [Test]
    public async Task Sql_and_spreadsheet_formulas_in_imported_files_are_inert_and_sql_in_a_kpi_formula_is_refused_with_its_line()
    {
        await using var data = await KnownDataset.CreateAsync();
        var dir = Directory.CreateTempSubdirectory("crmetl-config-").FullName;
        try
        {
            Assert.That((await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "export", "--company", "Acme Group", "--dir", dir)).Exit, Is.EqualTo(ExitCodes.Ok));
            var kpis = Path.Combine(dir, "kpis.csv");
            var lines = (await File.ReadAllLinesAsync(kpis)).ToList();
            string Like(string kpi, string name) => name + lines.Single(l => l.StartsWith(kpi + ",", StringComparison.Ordinal))[kpi.Length..];
            const string sqlName = "Won'); DELETE FROM config.kpi; --";
            const string formulaName = "=1+2";
            await File.WriteAllLinesAsync(kpis, [.. lines, Like("Won", sqlName), Like("New leads", formulaName)]);
            // No deal title contains '%_' or equals the SQL: were either spliced into SQL or LIKE, deals would vanish.
            await File.AppendAllTextAsync(Path.Combine(dir, "filters.csv"), "Acme Finland,deal,exclude,\"title contains '%_' or title = 'x); DROP TABLE crm.deal; --'\"\r\n");
            var deals = await data.RowsAsync("SELECT count(*) FROM analytics.fact_deal");

            var import = await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "import", "--company", "Acme Group", "--dir", dir);

            Assert.That(import.Exit, Is.EqualTo(ExitCodes.Ok), import.Error);
            Assert.That(await data.RowsAsync("SELECT count(*) FROM analytics.fact_deal"), Is.EqualTo(deals));
            const string sum = "SELECT coalesce(sum(d.value), 0)::text FROM analytics.kpi_daily d JOIN config.kpi k ON k.id = d.kpi_id WHERE k.name = ";
            Assert.That(await data.RowsAsync(sum + "'Won'"), Is.Not.EqualTo(new[] { "0" }));
            Assert.That(await data.RowsAsync(sum + "'New leads'"), Is.Not.EqualTo(new[] { "0" }));
            Assert.That(await data.RowsAsync(sum + "'Won''); DELETE FROM config.kpi; --'"), Is.EqualTo(await data.RowsAsync(sum + "'Won'")), "counted as Won is");
            Assert.That(await data.RowsAsync(sum + "'=1+2'"), Is.EqualTo(await data.RowsAsync(sum + "'New leads'")), "a name, not a sum");
            var stored = await data.RowsAsync("SELECT count(*) FROM config.kpi");

            await File.AppendAllTextAsync(kpis, "Rate,calculated,,,count,,,\"Won; DROP TABLE crm.deal\"\r\n");
            var refused = await CrmEtlCommand.RunAsync(data.ConnectionString, "config", "import", "--company", "Acme Group", "--dir", dir);

            Assert.That(refused.Exit, Is.EqualTo(ExitCodes.BadInput));
            Assert.That(refused.Error, Does.Contain("Nothing was changed").And.Contain($"kpis.csv line {lines.Count + 3}").And.Contain("Unexpected character ';'"));
            Assert.That(await data.RowsAsync("SELECT count(*) FROM config.kpi"), Is.EqualTo(stored));
            Assert.That(await data.RowsAsync("SELECT count(*) FROM analytics.fact_deal"), Is.EqualTo(deals));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task A_bi_user_reads_the_analytics_views_and_nothing_else()
    {
        await using var data = await KnownDataset.CreateAsync();
        Environment.SetEnvironmentVariable("CRMETL_TEST_BI_PASSWORD", "bi-secret-123");
        var created = await CrmEtlCommand.RunAsync(data.ConnectionString, "bi-user", "create", "bi_reader", "--password-env", "CRMETL_TEST_BI_PASSWORD");
        Assert.That(created.Exit, Is.EqualTo(ExitCodes.Ok), created.Error);

        var asBi = new Npgsql.NpgsqlConnectionStringBuilder(data.ConnectionString) { Username = "bi_reader", Password = "bi-secret-123" }.ConnectionString;
        await using var connection = new Npgsql.NpgsqlConnection(asBi);
        await connection.OpenAsync();
        async Task<string> Try(string sql)
        {
            try
            {
                await using var command = new Npgsql.NpgsqlCommand(sql, connection);
                return $"{await command.ExecuteScalarAsync()}";
            }
            catch (Npgsql.PostgresException e)
            {
                return e.SqlState;
            }
        }
        Assert.Multiple(async () =>
        {
            // two instances closing deals in February and March: 4 month, 2 quarter and 2 year rows
            Assert.That(await Try("SELECT count(*) FROM analytics.win_rate"), Is.EqualTo("8"));
            Assert.That(await Try("SELECT count(*) FROM analytics.dim_instance"), Is.EqualTo("2"));
            Assert.That(await Try("SELECT count(*) FROM crm.deal"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(await Try("SELECT credentials FROM etl.instance"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(await Try("SELECT count(*) FROM etl.sync_run"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(await Try("SELECT count(*) FROM config.target"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(await Try("SELECT count(*) FROM etl.oauth_token"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(await Try("SELECT count(*) FROM etl.sync_state"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(await Try("SELECT count(*) FROM quartz.qrtz_triggers"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(await Try("CREATE TABLE public.mine (i int)"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
            Assert.That(await Try("DELETE FROM analytics.fact_deal"), Is.EqualTo(Npgsql.PostgresErrorCodes.InsufficientPrivilege));
        });
        await connection.CloseAsync();
        await using var admin = new Npgsql.NpgsqlConnection(data.ConnectionString);
        await admin.OpenAsync();
        // Roles belong to the server, not the test's database: leave none behind.
        await using var drop = new Npgsql.NpgsqlCommand("DROP OWNED BY bi_reader; DROP ROLE bi_reader", admin);
        await drop.ExecuteNonQueryAsync();
    }

    [Test]
    public async Task Export_writes_a_view_for_a_period_and_an_instance()
    {
        await using var data = await KnownDataset.CreateAsync();
        var file = Path.GetTempFileName();
        try
        {
            var result = await CrmEtlCommand.RunAsync(data.ConnectionString, "export", "--view", "sales_volume", "--from", "2024-03-01", "--to", "2024-03-31", "--instance", "Acme Finland", "--out", file);
            Assert.That(result.Exit, Is.EqualTo(ExitCodes.Ok), result.Error);
            var lines = await File.ReadAllLinesAsync(file);
            Assert.That(lines[0], Does.StartWith("company,instance_id,instance,funnel,deal_id,kind,date,"));
            Assert.That(lines.Skip(1).Select(l => string.Join(',', l.Split(',')[4..7])), Is.EqualTo(new[] { "5,return,2024-03-05", "2,won,2024-03-10" }));

            var unknown = await CrmEtlCommand.RunAsync(data.ConnectionString, "export", "--view", "crm.deal", "--out", file);
            Assert.That(unknown.Exit, Is.EqualTo(ExitCodes.BadInput));
            Assert.That(unknown.Error, Does.StartWith("There is no analytics view 'crm.deal'. Views: activities_completed, data_problems,").And.Contain("win_rate"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
