using MailAppliance.Storage.Mailstore;
using Microsoft.Extensions.Hosting;

namespace MailAppliance.Hosting;

/// <summary>Runs the store's search indexer for as long as serve runs.</summary>
public sealed class SearchIndexerService(SearchIndexer indexer) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => indexer.RunAsync(stoppingToken);
}
