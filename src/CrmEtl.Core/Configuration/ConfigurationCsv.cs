using System.Globalization;
using CsvHelper;

namespace CrmEtl.Core.Configuration;

/// <summary>
/// A company's configuration as CSV files an admin edits in a spreadsheet: export, edit, import.
/// Invariant culture (dates yyyy-MM-dd, decimal point), a header row, one file per concern.
/// Reading reports every malformed cell with its file and line; the rows carry their line so the
/// validator's messages point there too. Helper columns (pipeline and stage names, user names) are
/// written for reading and ignored on import; rows left without a funnel step or person are skipped.
/// </summary>
/// <summary>One file's content: its header and rows, as export writes it.</summary>
public sealed record CsvTable(IReadOnlyList<string> Header, IReadOnlyList<string[]> Rows);

public static class ConfigurationCsv
{
    public const string Company = "company.csv";
    public const string Funnels = "funnels.csv";
    public const string Stages = "stages.csv";
    public const string Kpis = "kpis.csv";
    public const string Dimensions = "dimensions.csv";
    public const string People = "people.csv";
    public const string Filters = "filters.csv";
    public const string Targets = "targets.csv";
    public const string Rates = "rates.csv";
    public static readonly IReadOnlyList<string> CompanyFiles = [Company, Funnels, Stages, Kpis, Dimensions, People, Filters, Targets];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // ---- writing -------------------------------------------------------------------------------

    /// <summary>Writes every file of the company's configuration (and its rates) into <paramref name="directory"/>.</summary>
    public static void Export(CompanyConfiguration config, CrmCatalog catalog, IReadOnlyList<ExchangeRateRow> rates, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (var (file, table) in Tables(config, catalog, rates))
        {
            using var stream = File.Create(Path.Combine(directory, file));
            Write(table, stream);
        }
    }

    /// <summary>Every file of the company's configuration (and its rates) by name, as export writes them.</summary>
    public static IReadOnlyDictionary<string, CsvTable> Tables(CompanyConfiguration config, CrmCatalog catalog, IReadOnlyList<ExchangeRateRow> rates)
    {
        var tables = new Dictionary<string, CsvTable>();
        void Write(string file, string[] header, IEnumerable<string[]> rows) => tables[file] = new CsvTable(header, rows.ToList());

        Write(Company, ["company", "reporting_currency"], [[config.Company, config.ReportingCurrency]]);
        Write(Funnels, ["funnel", "position", "step", "marker"],
            config.Steps.OrderBy(s => s.Funnel, StringComparer.OrdinalIgnoreCase).ThenBy(s => s.Position)
                .Select(s => new[] { s.Funnel, N(s.Position), s.Step, MarkerName(s.Marker) }));

        // Every stage of every instance, mapped or not, so the admin sees what there is to map.
        var stageRows = new List<string[]>();
        foreach (var instance in catalog.Instances)
            foreach (var stage in instance.Stages.Values.OrderBy(s => s.PipelineId).ThenBy(s => s.OrderNr).ThenBy(s => s.Id))
            {
                var pipeline = instance.Pipelines.GetValueOrDefault(stage.PipelineId, "");
                var mapped = config.Stages.Where(m => Same(m.Instance, instance.Name) && m.StageId == stage.Id).ToList();
                if (mapped.Count == 0) stageRows.Add([instance.Name, pipeline, stage.Name, N(stage.Id), "", ""]);
                stageRows.AddRange(mapped.Select(m => new[] { instance.Name, pipeline, stage.Name, N(stage.Id), m.Funnel, m.Step }));
            }
        Write(Stages, ["instance", "pipeline", "stage", "stage_id", "funnel", "step"], stageRows);

        Write(Kpis, ["kpi", "kind", "funnel", "step", "measure", "activity_types", "lead_source", "expression"],
            config.Kpis.Select(k => new[] { k.Name, k.Kind, k.Funnel ?? "", k.Step ?? "", k.Measure, string.Join(';', k.ActivityTypes ?? []), k.LeadSource ?? "", k.Expression ?? "" }));

        var dimensionRows = new List<string[]>();
        foreach (var instance in catalog.Instances)
        {
            var defaults = config.Dimensions.FirstOrDefault(d => Same(d.Instance, instance.Name) && d.PipelineId is null);
            dimensionRows.Add([instance.Name, "", "", defaults?.Country ?? "", defaults?.GeoArea ?? "", defaults?.Product ?? ""]);
            foreach (var (id, name) in instance.Pipelines.OrderBy(p => p.Key))
            {
                var d = config.Dimensions.FirstOrDefault(d => Same(d.Instance, instance.Name) && d.PipelineId == id);
                dimensionRows.Add([instance.Name, name, N(id), d?.Country ?? "", d?.GeoArea ?? "", d?.Product ?? ""]);
            }
        }
        Write(Dimensions, ["instance", "pipeline", "pipeline_id", "country", "geo_area", "product"], dimensionRows);

        var peopleRows = new List<string[]>();
        foreach (var instance in catalog.Instances)
            foreach (var (id, name) in instance.Users.OrderBy(u => u.Key))
            {
                var p = config.People.FirstOrDefault(p => Same(p.Instance, instance.Name) && p.UserId == id);
                peopleRows.Add([instance.Name, N(id), name, p?.Person ?? "", p?.Team ?? ""]);
            }
        Write(People, ["instance", "user_id", "user_name", "person", "team"], peopleRows);

        Write(Filters, ["instance", "entity", "mode", "condition"], config.Filters.Select(f => new[] { f.Instance, f.Entity, f.Mode, f.Condition }));
        Write(Targets, ["kpi", "period", "period_start", "assignee_kind", "assignee", "value"],
            config.Targets.Select(t => new[] { t.Kpi, t.Period, D(t.PeriodStart), t.AssigneeKind, t.Assignee, N(t.Value) }));
        Write(Rates, ["currency", "reporting_currency", "valid_from", "rate"],
            rates.Select(r => new[] { r.Currency, r.ReportingCurrency, D(r.ValidFrom), N(r.Rate) }));
        return tables;
    }

    /// <summary>Writes a file's rows as CSV (the stream is left open).</summary>
    public static void Write(CsvTable table, Stream stream)
    {
        using var csv = CsvWriter.Create(stream, new CsvWriterOptions { FormatProvider = Inv }, true);
        csv.WriteHeader([.. table.Header]);
        foreach (var row in table.Rows) csv.WriteRecord(row);
    }

    // ---- reading -------------------------------------------------------------------------------

    /// <summary>
    /// Reads the files present in <paramref name="directory"/> over <paramref name="current"/>: each file
    /// present replaces its part, missing files leave theirs as they are. Returns the problems found
    /// reading (bad numbers, dates, unknown names); the caller validates the result as a whole.
    /// </summary>
    public static (CompanyConfiguration Config, IReadOnlyList<ExchangeRateRow>? Rates, IReadOnlyList<string> Problems) Import(
        CompanyConfiguration current, string directory) =>
        Import(current, file => Path.Combine(directory, file) is var path && File.Exists(path) ? File.OpenRead(path) : null);

    /// <summary>As <see cref="Import(CompanyConfiguration, string)"/>, with the files from <paramref name="open"/> (null: no such file).</summary>
    public static (CompanyConfiguration Config, IReadOnlyList<ExchangeRateRow>? Rates, IReadOnlyList<string> Problems) Import(
        CompanyConfiguration current, Func<string, Stream?> open)
    {
        var problems = new List<string>();
        var config = current;
        if (Read(open, Company, problems, ["company", "reporting_currency"]) is { } company)
            foreach (var row in company)
            {
                if (!Same(row.Text("company"), current.Company))
                    problems.Add($"{row.Origin}: this is the configuration of company '{row.Text("company")}', not '{current.Company}'; import it with --company \"{row.Text("company")}\".");
                config = config with { ReportingCurrency = row.Text("reporting_currency").ToUpperInvariant() };
            }
        if (Read(open, Funnels, problems, ["funnel", "position", "step", "marker"]) is { } funnels)
            config = config with { Steps = funnels.Select(r => new FunnelStepRow(r.Text("funnel"), r.Int("position"), r.Text("step"), r.Marker("marker"), r.Origin)).ToList() };
        if (Read(open, Stages, problems, ["instance", "stage_id", "funnel", "step"]) is { } stages)
            config = config with
            {
                Stages = stages.Where(r => r.Text("funnel").Length > 0 || r.Text("step").Length > 0)
                    .Select(r => new StageMappingRow(r.Text("instance"), r.Long("stage_id"), r.Text("funnel"), r.Text("step"), r.Origin)).ToList(),
            };
        if (Read(open, Kpis, problems, ["kpi", "kind"]) is { } kpis)
            config = config with
            {
                Kpis = kpis.Select(r => new KpiRow(r.Text("kpi"), r.Text("kind").ToLowerInvariant(), r.Optional("funnel"), r.Optional("step"),
                    r.Optional("measure")?.ToLowerInvariant() ?? KpiMeasures.Count,
                    r.Text("activity_types").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    r.Optional("lead_source"), r.Optional("expression"), r.Origin)).ToList(),
            };
        if (Read(open, Dimensions, problems, ["instance", "pipeline_id", "country", "geo_area", "product"]) is { } dimensions)
            config = config with
            {
                Dimensions = dimensions.Where(r => r.Optional("country") is not null || r.Optional("geo_area") is not null || r.Optional("product") is not null)
                    .Select(r => new DimensionRow(r.Text("instance"), r.OptionalLong("pipeline_id"), r.Optional("country"), r.Optional("geo_area"), r.Optional("product"), r.Origin)).ToList(),
            };
        if (Read(open, People, problems, ["instance", "user_id", "person", "team"]) is { } people)
            config = config with
            {
                People = people.Where(r => r.Optional("person") is not null || r.Optional("team") is not null)
                    .Select(r => new PersonRow(r.Text("instance"), r.Long("user_id"), r.Text("person"), r.Optional("team"), r.Origin)).ToList(),
            };
        if (Read(open, Filters, problems, ["instance", "entity", "mode", "condition"]) is { } filters)
            config = config with { Filters = filters.Select(r => new FilterRow(r.Text("instance"), r.Text("entity").ToLowerInvariant(), r.Text("mode").ToLowerInvariant(), r.Text("condition"), r.Origin)).ToList() };
        if (Read(open, Targets, problems, ["kpi", "period", "period_start", "assignee_kind", "assignee", "value"]) is { } targets)
            config = config with
            {
                Targets = targets.Select(r => new TargetRow(r.Text("kpi"), r.Text("period").ToLowerInvariant(), r.Date("period_start"),
                    r.Text("assignee_kind").ToLowerInvariant(), r.Text("assignee"), r.Decimal("value"), r.Origin)).ToList(),
            };
        var rates = Read(open, Rates, problems, ["currency", "reporting_currency", "valid_from", "rate"])?
            .Select(r => new ExchangeRateRow(r.Text("currency").ToUpperInvariant(), r.Text("reporting_currency").ToUpperInvariant(), r.Date("valid_from"), r.Decimal("rate"), r.Origin))
            .ToList();
        return (config, rates, problems);
    }

    /// <summary>The largest file an import reads (a year of daily targets for 100 people and 20 KPIs is about 40 MB).</summary>
    public const long MaxFileBytes = 64L * 1024 * 1024;

    /// <summary>The rows of a file, or null when there is no such file.</summary>
    private static List<CsvRow>? Read(Func<string, Stream?> open, string file, List<string> problems, string[] required)
    {
        using var stream = open(file);
        if (stream is null) return null;
        var size = stream.Length;
        if (size > MaxFileBytes)
        {
            problems.Add($"{file}: {(size / (1024.0 * 1024)).ToString("N1", Inv)} MB, more than the {MaxFileBytes / (1024 * 1024)} MB a configuration file may have; it was not read. Check that it is the file 'crmetl config export' wrote.");
            return [];
        }
        var options = new CsvReaderOptions
        {
            TrimWhitespace = true, TrackLineNumbers = true, FormatProvider = Inv,
            MalformedData = CsvMalformedDataHandling.Throw,
            // A configuration row is short: a runaway quote must not swallow a whole file into memory.
            MaxRecordSize = 64 * 1024,
        };
        using var csv = CsvReader.Create(stream, options, true);
        var rows = new List<CsvRow>();
        try
        {
            csv.ReadHeader();
            if (csv.Headers is not { Count: > 0 } header)
            {
                problems.Add($"{file}: the file is empty; it needs a header row ({string.Join(", ", required)}).");
                return [];
            }
            var columns = header.Select(h => h.Trim().ToLowerInvariant()).ToArray();
            var missing = required.Where(r => !columns.Contains(r)).ToList();
            if (missing.Count > 0)
            {
                problems.Add($"{file} line 1: missing column(s) {string.Join(", ", missing)}; the header must name {string.Join(", ", required)}.");
                return [];
            }
            while (csv.Read())
            {
                var fields = Enumerable.Range(0, csv.FieldCount).Select(csv.GetString).ToArray();
                if (fields.All(string.IsNullOrWhiteSpace)) continue;
                rows.Add(new CsvRow(columns, fields, new RowOrigin(file, (int)csv.LineNumber), problems));
            }
        }
        catch (CsvFormatException e)
        {
            problems.Add($"{file} line {e.LineNumber}: the CSV cannot be read: {e.Message} Check quotes and separators.");
        }
        return rows;
    }

    /// <summary>One data row, read by column name; a malformed cell is reported with its line and read as a neutral value.</summary>
    private sealed class CsvRow(string[] columns, string[] fields, RowOrigin origin, List<string> problems)
    {
        public RowOrigin Origin => origin;

        public string Text(string column)
        {
            var i = Array.IndexOf(columns, column);
            return i >= 0 && i < fields.Length ? fields[i].Trim() : "";
        }

        public string? Optional(string column) => Text(column) is { Length: > 0 } text ? text : null;

        public int Int(string column) => Parse(column, "a whole number", s => (int.TryParse(s, NumberStyles.Integer, Inv, out var v), v));
        public long Long(string column) => Parse(column, "a whole number (an id)", s => (long.TryParse(s, NumberStyles.Integer, Inv, out var v), v));
        public long? OptionalLong(string column) => Optional(column) is null ? null : Long(column);
        public decimal Decimal(string column) => Parse(column, "a number with a decimal point, e.g. 12.5", s => (decimal.TryParse(s, NumberStyles.Number & ~NumberStyles.AllowThousands, Inv, out var v), v));
        public DateOnly Date(string column) => Parse(column, "a date as yyyy-MM-dd", s => (DateOnly.TryParseExact(s, "yyyy-MM-dd", Inv, DateTimeStyles.None, out var v), v));

        public Marker Marker(string column)
        {
            try
            {
                return ParseMarker(Text(column));
            }
            catch (FormatException e)
            {
                problems.Add($"{origin}: {column}: {e.Message}");
                return Configuration.Marker.None;
            }
        }

        private T Parse<T>(string column, string expected, Func<string, (bool Ok, T Value)> parse)
        {
            var text = Text(column);
            var (ok, value) = parse(text);
            if (!ok) problems.Add($"{origin}: {column} '{text}' is not {expected}.");
            return value;
        }
    }

    public static Marker ParseMarker(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        null or "" or "none" => Marker.None,
        "won" => Marker.Won,
        "refused" or "lost" => Marker.Refused,
        "return" => Marker.Return,
        "pause" => Marker.Pause,
        _ => throw new FormatException($"'{name}' is not a marker; use won, refused, return, pause or leave it empty."),
    };

    public static string MarkerName(Marker marker) => marker == Marker.None ? "" : marker.ToString().ToLowerInvariant();

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
    private static string N(long value) => value.ToString(Inv);
    private static string N(decimal value) => value.ToString(Inv);
    private static string D(DateOnly date) => date.ToString("yyyy-MM-dd", Inv);
}
