using System.Globalization;
using System.Text.Json.Nodes;
using CrmEtl.Connectors.Streams;
using CrmEtl.Core.Replica;

namespace CrmEtl.Connectors.Kommo;

public sealed partial class KommoConnector
{
    private sealed partial class Run
    {
        /// <summary>
        /// A list by updated_at from a lower bound, oldest first. Kommo pages by number, and a page number
        /// shifts when a record read before it changes meanwhile (the next page would start one record late), so
        /// each page is asked for from the last updated_at read (inclusive; the records of that second already
        /// given are passed over), and page numbers are only followed within one second.
        /// </summary>
        private UpdatedStream<JsonObject> Updated(string stream, string path, string key, Func<ReplicaBatch, JsonObject, Written> write, string query = "") =>
            new(stream, (since, ct) =>
            {
                var atAnchor = new HashSet<long>();
                return Paging.AllAsync(Context.Stats.For(stream),
                    async (position, token) =>
                    {
                        var (from, page) = Position(position, since);
                        var address = $"{path}?limit={_options.PageSize}&page={page}&order[updated_at]=asc{query}"
                            + (from is { } f ? $"&filter[updated_at][from]={KommoValues.Unix(f)}" : "");
                        return await client.GetAsync(stream, address, token);
                    },
                    (body, position) =>
                    {
                        var (from, page) = Position(position, since);
                        var items = body["_embedded"]?[key]?.AsArray().OfType<JsonObject>().ToList() ?? [];
                        var fresh = new List<JsonObject>(items.Count);
                        foreach (var item in items)
                        {
                            // A record without its id cannot be kept: the run fails rather than pass it over.
                            var id = KommoValues.Id(item["id"]) ?? throw new FormatException($"Kommo listed a record of {path} without its id.");
                            if (KommoValues.Time(item["updated_at"]) == from && from is not null && !atAnchor.Add(id)) continue;
                            fresh.Add(item);
                        }
                        if (items.Count < _options.PageSize || body["_links"]?["next"] is null) return (fresh, null);
                        var last = KommoValues.Time(items[^1]["updated_at"]);
                        if (last is not null && (from is null || last > from))
                        {
                            // Re-anchor on the last second read: what was given of it is remembered, so it is not given twice.
                            atAnchor.Clear();
                            foreach (var item in items)
                                if (KommoValues.Time(item["updated_at"]) == last && KommoValues.Id(item["id"]) is { } id) atAnchor.Add(id);
                            return (fresh, $"{KommoValues.Unix(last.Value)}:1");
                        }
                        return (fresh, $"{(from is { } f ? KommoValues.Unix(f) : 0)}:{page + 1}");
                    }, ct);
            }, write);

        /// <summary>
        /// A list Kommo cannot order by updated_at (tasks): filtered by it and read in id order, which a change to a record
        /// read before does not shift. The stream's cursor moves only when the whole window was read.
        /// </summary>
        private UpdatedStream<JsonObject> UpdatedById(string stream, string path, string key, Func<ReplicaBatch, JsonObject, Written> write) =>
            new(stream, (since, ct) => client.PagesAsync(stream,
                $"{path}?limit={_options.PageSize}&order[id]=asc" + (since is { } from ? $"&filter[updated_at][from]={KommoValues.Unix(from)}" : ""), key, ct), write)
            {
                InUpdateOrder = false,
            };

        /// <summary>Where a page stands: the updated_at lower bound and the page number under it.</summary>
        private static (DateTimeOffset? From, int Page) Position(string? position, DateTimeOffset? since)
        {
            if (position is null) return (since, 1);
            var parts = position.Split(':');
            var from = long.Parse(parts[0], CultureInfo.InvariantCulture);
            return (from == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(from), int.Parse(parts[1], CultureInfo.InvariantCulture));
        }

        private UpdatedStream<JsonObject> Leads() =>
            Updated(Streams.Leads, "/api/v4/leads", "leads", (batch, r) =>
            {
                var row = ToDealRow(r, _currency);
                batch.Deals.Add(row);
                return new Written(row.Id, row.UpdateTime);
            }, query: "&with=contacts,loss_reason");

        /// <summary>A lead as a deal; its price is in the account's <paramref name="currency"/>.</summary>
        internal static DealRow ToDealRow(JsonObject r, string? currency)
        {
            var id = KommoValues.Id(r["id"])!.Value;
            var added = KommoValues.Time(r["created_at"]) ?? throw new FormatException($"Kommo lead {id} has no created_at.");
            var pipeline = KommoValues.Id(r["pipeline_id"]);
            var statusId = KommoValues.Id(r["status_id"]);
            var status = statusId switch { KommoValues.Won => "won", KommoValues.Lost => "lost", _ => "open" };
            var closed = status == "open" ? null : KommoValues.Time(r["closed_at"]) ?? KommoValues.Time(r["updated_at"]);
            var embedded = r["_embedded"];
            var contacts = embedded?["contacts"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
            var lossReason = embedded?["loss_reason"] switch
            {
                JsonArray reasons => reasons.OfType<JsonObject>().Select(x => KommoValues.Text(x["name"])).FirstOrDefault(),
                JsonObject reason => KommoValues.Text(reason["name"]),
                _ => null,
            };
            return new DealRow
            {
                Id = id,
                Title = KommoValues.Text(r["name"]),
                Value = KommoValues.Decimal(r["price"]),
                Currency = currency,
                Status = status,
                PipelineId = pipeline,
                StageId = pipeline is { } p && statusId is { } s ? KommoValues.StageKey(p, s) : null,
                OwnerId = KommoValues.Id(r["responsible_user_id"]),
                PersonId = KommoValues.Id((contacts.Find(c => KommoValues.Bool(c["is_main"]) == true) ?? contacts.FirstOrDefault())?["id"]),
                OrgId = KommoValues.Id(embedded?["companies"]?.AsArray().OfType<JsonObject>().FirstOrDefault()?["id"]),
                AddTime = added,
                UpdateTime = KommoValues.Time(r["updated_at"]) ?? added,
                WonTime = status == "won" ? closed : null,
                LostTime = status == "lost" ? closed : null,
                CloseTime = closed,
                LostReason = status == "lost" ? lossReason : null,
                IsDeleted = KommoValues.Bool(r["is_deleted"]) ?? false,
                CustomFieldsJson = r["custom_fields_values"] is JsonArray values ? values.ToJsonString() : null,
            };
        }

        private UpdatedStream<JsonObject> Companies() =>
            Updated(Streams.Companies, "/api/v4/companies", "companies", (batch, r) =>
            {
                var row = new OrganizationRow
                {
                    Id = KommoValues.Id(r["id"])!.Value, Name = KommoValues.Text(r["name"]), OwnerId = KommoValues.Id(r["responsible_user_id"]),
                    Address = FieldValues(r, "ADDRESS").FirstOrDefault()?.Value,
                    AddTime = KommoValues.Time(r["created_at"]), UpdateTime = KommoValues.Time(r["updated_at"]), IsDeleted = KommoValues.Bool(r["is_deleted"]) ?? false,
                };
                batch.Organizations.Add(row);
                return new Written(row.Id, row.UpdateTime);
            });

        private UpdatedStream<JsonObject> Contacts() =>
            Updated(Streams.Contacts, "/api/v4/contacts", "contacts", (batch, r) =>
            {
                var row = ContactOf(r);
                batch.Contacts.Add(row);
                return new Written(row.Id, row.UpdateTime);
            }, query: "&with=companies");

        /// <summary>A contact with every e-mail and phone (custom fields with the codes EMAIL and PHONE, labelled by their enum code: WORK, MOB, PRIV…; the docs' GET examples call it enum).</summary>
        internal static ContactRow ContactOf(JsonObject r) => new()
        {
            Id = KommoValues.Id(r["id"]) ?? throw new FormatException("A Kommo contact has no id."),
            Name = KommoValues.Text(r["name"]), FirstName = KommoValues.Text(r["first_name"]), LastName = KommoValues.Text(r["last_name"]),
            OwnerId = KommoValues.Id(r["responsible_user_id"]),
            OrgId = KommoValues.Id(r["_embedded"]?["companies"]?.AsArray().OfType<JsonObject>().FirstOrDefault()?["id"]),
            Emails = FieldValues(r, "EMAIL"), Phones = FieldValues(r, "PHONE"),
            AddTime = KommoValues.Time(r["created_at"]), UpdateTime = KommoValues.Time(r["updated_at"]), IsDeleted = KommoValues.Bool(r["is_deleted"]) ?? false,
        };

        /// <summary>The values of the record's custom field with <paramref name="code"/> (field_code), the first one primary.</summary>
        private static List<ContactPoint> FieldValues(JsonObject r, string code) =>
            (r["custom_fields_values"]?.AsArray().OfType<JsonObject>() ?? [])
                .Where(f => KommoValues.Text(f["field_code"]) == code)
                .SelectMany(f => f["values"]?.AsArray().OfType<JsonObject>() ?? [])
                .Select(v => (Value: KommoValues.Text(v["value"])?.Trim(), Label: (KommoValues.Text(v["enum_code"]) ?? KommoValues.Text(v["enum"]))?.ToLowerInvariant()))
                .Where(v => !string.IsNullOrEmpty(v.Value))
                .Select((v, i) => new ContactPoint(v.Value!, v.Label, i == 0))
                .ToList();

        /// <summary>Tasks as activities: done when completed (at their last update), due at complete_till, of their task type.</summary>
        private UpdatedStream<JsonObject> Tasks() =>
            UpdatedById(Streams.Tasks, "/api/v4/tasks", "tasks", (batch, r) =>
            {
                var row = TaskOf(r, _taskTypes, _zone);
                batch.Activities.Add(row);
                return new Written(row.Id, row.UpdateTime);
            });

        /// <summary>
        /// A task as an activity; its type is the code of its task type (<paramref name="taskTypes"/>, by id). Kommo has no
        /// all-day tasks: its interface makes a task "for the whole day" due at 23:59 in the account's time zone
        /// (<paramref name="zone"/>), so such a task is due on that day with no time, like an all-day activity elsewhere.
        /// </summary>
        internal static ActivityRow TaskOf(JsonObject r, IReadOnlyDictionary<long, string> taskTypes, TimeZoneInfo zone)
        {
            var entity = KommoValues.Text(r["entity_type"]);
            var entityId = KommoValues.Id(r["entity_id"]);
            var due = KommoValues.Time(r["complete_till"]);
            var done = KommoValues.Bool(r["is_completed"]) ?? false;
            var updated = KommoValues.Time(r["updated_at"]);
            return new ActivityRow
            {
                Id = KommoValues.Id(r["id"]) ?? throw new FormatException("A Kommo task has no id."), Subject = KommoValues.Text(r["text"]),
                Type = KommoValues.Id(r["task_type_id"]) is { } t ? taskTypes.GetValueOrDefault(t, $"task_{t}") : "task",
                OwnerId = KommoValues.Id(r["responsible_user_id"]),
                DealId = entity == "leads" ? entityId : null, PersonId = entity == "contacts" ? entityId : null, OrgId = entity == "companies" ? entityId : null,
                DueDate = due is { } d ? AllDay(d, zone) ?? DateOnly.FromDateTime(d.UtcDateTime) : null,
                DueTime = due is { } dt && AllDay(dt, zone) is null ? TimeOnly.FromDateTime(dt.UtcDateTime) : null,
                Duration = KommoValues.Id(r["duration"]) is { } seconds and > 0 ? TimeSpan.FromSeconds(seconds) : null,
                Done = done, MarkedAsDoneTime = done ? updated : null,
                AddTime = KommoValues.Time(r["created_at"]), UpdateTime = updated,
            };
        }

        /// <summary>The day of a due time at 23:59 in <paramref name="zone"/> (a task for the whole day), else null.</summary>
        private static DateOnly? AllDay(DateTimeOffset due, TimeZoneInfo zone)
        {
            var local = TimeZoneInfo.ConvertTime(due, zone);
            return local is { Hour: 23, Minute: 59 } ? DateOnly.FromDateTime(local.DateTime) : null;
        }

        /// <summary>The account's time zone (GET /api/v4/account?with=datetime_settings), or <paramref name="fallback"/> when it names none this machine knows.</summary>
        internal static TimeZoneInfo ZoneOf(JsonNode account, string fallback) =>
            TimeZoneInfo.TryFindSystemTimeZoneById(KommoValues.Text(account["_embedded"]?["datetime_settings"]?["timezone"]) ?? fallback, out var zone)
            || TimeZoneInfo.TryFindSystemTimeZoneById(fallback, out zone) ? zone : TimeZoneInfo.Utc;

        /// <summary>The account's task types (GET /api/v4/account?with=task_types): id, name and code, lower-case (task_ID when it has none).</summary>
        internal static IEnumerable<(long Id, string Name, string Code)> TaskTypesOf(JsonNode account) =>
            (account["_embedded"]?["task_types"]?.AsArray().OfType<JsonObject>() ?? [])
                .Where(t => KommoValues.Id(t["id"]) is not null)
                .Select(t =>
                {
                    var id = KommoValues.Id(t["id"])!.Value;
                    var code = KommoValues.Text(t["code"])?.ToLowerInvariant() ?? $"task_{id}";
                    return (id, KommoValues.Text(t["name"]) ?? code, code);
                });
    }
}
