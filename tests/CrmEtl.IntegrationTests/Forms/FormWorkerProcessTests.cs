using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrmEtl.Core.Forms;
using CrmEtl.Core.Instances;
using CrmEtl.Host.Forms;
using CrmEtl.IntegrationTests.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CrmEtl.IntegrationTests.Forms;

/// <summary>A form submission in a real worker process killed while the CRM was writing it.</summary>
[Parallelizable] // its own sandbox, database and worker processes
public sealed class FormWorkerProcessTests
{
    [Test]
    public async Task A_worker_killed_after_the_crm_made_the_contact_leaves_the_submission_to_another_which_makes_no_second_contact()
    {
        // Quick passes, and a claim that runs out 5 s after the worker that holds it dies.
        await using var crm = await FormCrm.StartAsync(InstanceKinds.Pipedrive, new() { ["Forms:PollEvery"] = "00:00:00.200", ["Forms:Lease"] = "00:00:05" });
        var hosts = new List<IHost>();
        try
        {
            var replica = await PipedriveWorld.NewReplicaAsync(hosts, crm.Instance, crm.Settings);
            var module = await replica.Host.Services.GetRequiredService<FormModules>().SaveAsync("Contact form", "Acme", new FormSettings
            {
                DefaultRegion = "FI",
                Deal = new FormDealSettings { Name = "Request from {{name}}", PipelineId = crm.PipelineId, StageId = crm.FirstStageId },
            }, CancellationToken.None);

            // The CRM makes the person and holds its answer; the worker is killed meanwhile.
            crm.Faults.LostAnswerDelay = TimeSpan.FromSeconds(60);
            crm.Faults.LoseWriteAnswers(1);
            long id;
            await using (var first = WorkerProcess.Start(replica.ConnectionString, crm.Settings))
            {
                await first.WaitUntilRunningAsync();
                using var http = new HttpClient { BaseAddress = first.ApiAddress };
                using var posted = await http.PostAsJsonAsync($"/forms/{module.Key}/submissions", new { name = "Aino Killed", email = "aino@killed.example", phone = "040 765 4321" });
                Assert.That(posted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
                id = (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
                for (var waited = 0; waited < 300 && crm.ContactWith("aino@killed.example") is null; waited++) await Task.Delay(100);
                Assert.That(crm.ContactWith("aino@killed.example"), Is.Not.Null, "the CRM made the person");
                first.Kill();
                await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            Assert.That(await replica.ScalarAsync<string>($"SELECT concat_ws('|', status, pending_step, attempts) FROM etl.form_submission WHERE id = {id}"),
                Is.EqualTo("queued|contact|0"), "the person was being written when the worker died");

            // Another worker takes the submission over when the claim runs out, finds the person, and goes on.
            crm.Faults.Clear();
            await using var second = await InProcessWorker.StartAsync(replica.ConnectionString, crm.Settings);
            for (var waited = 0; waited < 150 && await replica.ScalarAsync<string>($"SELECT status FROM etl.form_submission WHERE id = {id}") == "queued"; waited++)
                await Task.Delay(100);
            Assert.That(await replica.ScalarAsync<string>($"SELECT concat_ws('|', status, outcome) FROM etl.form_submission WHERE id = {id}"), Is.EqualTo("done|created"));
            Assert.That(crm.Contacts().Count(c => c.Emails.Contains("aino@killed.example")), Is.EqualTo(1), "one person");
            Assert.That(crm.Deals().Where(d => d.Title == "Request from Aino Killed").Select(d => d.ContactId), Is.EqualTo(new long?[] { crm.ContactWith("aino@killed.example")!.Id }),
                "one deal, on that person");
        }
        finally
        {
            foreach (var host in hosts) host.Dispose();
        }
    }
}
