package perpetua.cli;

import picocli.CommandLine.Option;

/** The models topic a command reads snapshots from, mixed in where a command serves a model. */
public final class ModelsTopic {
    @Option(
            names = "--topic.models",
            defaultValue = "models",
            description = "Models topic (default: ${DEFAULT-VALUE}).")
    String name;
}
