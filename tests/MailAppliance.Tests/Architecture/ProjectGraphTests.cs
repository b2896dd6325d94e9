using System.Reflection;
using System.Xml.Linq;

namespace MailAppliance.Tests.Architecture;

/// <summary>
/// DESIGN.md's rules for the solution: dependencies point one way (host → {Smtp, Imap, Pop3, ManageSieve, Web} →
/// Pipeline → Storage → Mime → Core), Imap and Pop3 never reference Smtp, nothing references the host, each project
/// declares what it uses, and Npgsql is private to Storage. Checked twice: in the project files, and in what the
/// compiled assemblies really reference.
/// </summary>
public sealed class ProjectGraphTests
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["MailAppliance.Core"] = [],
        ["MailAppliance.Mime"] = ["MailAppliance.Core"],
        ["MailAppliance.Storage"] = ["MailAppliance.Mime", "MailAppliance.Core"],
        ["MailAppliance.Pipeline"] = ["MailAppliance.Storage", "MailAppliance.Mime", "MailAppliance.Core"],
        ["MailAppliance.Smtp"] = ["MailAppliance.Pipeline", "MailAppliance.Storage", "MailAppliance.Mime", "MailAppliance.Core"],
        ["MailAppliance.Imap"] = ["MailAppliance.Pipeline", "MailAppliance.Storage", "MailAppliance.Mime", "MailAppliance.Core"],
        ["MailAppliance.Pop3"] = ["MailAppliance.Pipeline", "MailAppliance.Storage", "MailAppliance.Mime", "MailAppliance.Core"],
        ["MailAppliance.ManageSieve"] = ["MailAppliance.Pipeline", "MailAppliance.Storage", "MailAppliance.Mime", "MailAppliance.Core"],
        ["MailAppliance.Web"] = ["MailAppliance.Pipeline", "MailAppliance.Storage", "MailAppliance.Mime", "MailAppliance.Core"],
        ["MailAppliance"] =
        [
            "MailAppliance.Smtp", "MailAppliance.Imap", "MailAppliance.Pop3", "MailAppliance.ManageSieve", "MailAppliance.Web",
            "MailAppliance.Pipeline", "MailAppliance.Storage", "MailAppliance.Mime", "MailAppliance.Core",
        ],
    };

    private static string SourceDirectory()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "MailAppliance.sln")))
        {
            directory = directory.Parent;
        }

        return Path.Combine(directory?.FullName ?? throw new InvalidOperationException("no MailAppliance.sln above the test binaries"), "src");
    }

    [Fact]
    public void Every_project_reference_follows_the_layering()
    {
        var projects = Directory.GetDirectories(SourceDirectory()).Select(d => Path.GetFileName(d)!).Where(n => n.StartsWith("MailAppliance", StringComparison.Ordinal)).ToList();
        Assert.Equal(Allowed.Keys.Order(), projects.Order());
        foreach (var project in projects)
        {
            var file = XDocument.Load(Path.Combine(SourceDirectory(), project, project + ".csproj"));
            var references = file.Descendants("ProjectReference").Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value)).ToList();
            foreach (var reference in references)
            {
                Assert.True(Allowed[project].Contains(reference), $"{project} must not reference {reference}");
            }

            var packages = file.Descendants("PackageReference").ToList();
            foreach (var npgsql in packages.Where(p => p.Attribute("Include")!.Value is "Npgsql" or "Dapper"))
            {
                Assert.True(project == "MailAppliance.Storage", $"{project} must not use {npgsql.Attribute("Include")!.Value}: PostgreSQL is Storage's");
                Assert.Equal("compile", npgsql.Attribute("PrivateAssets")?.Value);
            }
        }
    }

    [Fact]
    public void Transitive_project_references_are_off_for_the_sources()
    {
        var props = XDocument.Load(Path.Combine(SourceDirectory(), "..", "Directory.Build.props"));
        var setting = props.Descendants("DisableTransitiveProjectReferences").Single();
        Assert.Equal("true", setting.Value);
        Assert.Contains("/src/", setting.Parent!.Attribute("Condition")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Compiled_assemblies_keep_to_the_layering_and_only_Storage_touches_Npgsql()
    {
        foreach (var (project, allowed) in Allowed)
        {
            var name = project == "MailAppliance" ? "mailappliance" : project;
            var assembly = Assembly.Load(new AssemblyName(name));
            var referenced = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
            foreach (var own in referenced.Where(r => r.StartsWith("MailAppliance", StringComparison.Ordinal) || r == "mailappliance"))
            {
                Assert.True(allowed.Contains(own), $"{project} references {own}");
            }

            if (project != "MailAppliance.Storage")
            {
                Assert.DoesNotContain("Npgsql", referenced);
                Assert.DoesNotContain("Dapper", referenced);
            }
        }
    }
}
