using CrmEtl.Core.Configuration;

namespace CrmEtl.Core.Tests.Configuration;

/// <summary>A small group for configuration tests: Acme Finland with two pipelines, users and a custom field.</summary>
internal static class Builders
{
    public static CrmCatalog Catalog() => new([
        new InstanceCatalog(1, "Acme Finland", "Acme Group")
        {
            Pipelines = new Dictionary<long, string> { [1] = "New business", [2] = "Partners" },
            Stages = new Dictionary<long, CatalogStage>
            {
                [10] = new(10, 1, "Request", 1), [11] = new(11, 1, "Qualified", 2), [12] = new(12, 1, "Quote given", 3),
                [20] = new(20, 2, "Request", 1), [22] = new(22, 2, "Quote given", 2),
            },
            Users = new Dictionary<long, string> { [7] = "Aino Virtanen", [8] = "Mia Korhonen" },
            ActivityTypes = new HashSet<string>(["call", "meeting"], StringComparer.OrdinalIgnoreCase),
            DealFields = [new CatalogField("a1b2", "Lead source", new Dictionary<string, string> { ["Web"] = "31" })],
        },
    ]);

    public static CompanyConfiguration Valid() => new("Acme Group")
    {
        Steps =
        [
            new("Sales", 1, "Request", Marker.None), new("Sales", 2, "Qualified", Marker.None), new("Sales", 3, "Quote", Marker.None),
            new("Sales", 4, "Won", Marker.Won), new("Sales", 5, "Lost", Marker.Refused),
        ],
        Stages =
        [
            new("Acme Finland", 10, "Sales", "Request"), new("Acme Finland", 20, "Sales", "Request"),
            new("Acme Finland", 11, "Sales", "Qualified"), new("Acme Finland", 12, "Sales", "Quote"), new("Acme Finland", 22, "Sales", "Quote"),
        ],
        Kpis =
        [
            new("Won", KpiKinds.Stage, "Sales", "Won"), new("Lost", KpiKinds.Stage, "Sales", "Lost"),
            new("Win rate", KpiKinds.Calculated, Expression: "Won / (Won + Lost)"),
            new("Calls", KpiKinds.Activity, ActivityTypes: ["call"]), new("Leads", KpiKinds.Lead),
        ],
        Dimensions = [new("Acme Finland", null, "Finland", "Nordics", null), new("Acme Finland", 2, "Finland", "Nordics", "Partner sales")],
        People = [new("Acme Finland", 7, "Aino", "North"), new("Acme Finland", 8, "Mia", "South")],
        Filters = [new("Acme Finland", FilterEntities.Deal, FilterModes.Exclude, "\"Lead source\" = 'Web' and title contains 'test'")],
        Targets =
        [
            new("Calls", Periods.Week, new DateOnly(2024, 5, 13), AssigneeKinds.Person, "Aino", 12),
            new("Won", Periods.Quarter, new DateOnly(2024, 4, 1), AssigneeKinds.Country, "Finland", 30),
        ],
    };
}
