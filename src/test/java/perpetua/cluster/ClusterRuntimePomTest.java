package perpetua.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The local cluster's class path (deploy/cluster/pom.xml) runs the versions the job is built
 * against: a Flink, ND4J or log4j version changed in one pom and not the other would put a job on a
 * runtime it was not compiled for.
 */
class ClusterRuntimePomTest {
    private static final Pattern PROPERTY = Pattern.compile("<([a-z0-9.]+)>([^<]+)</\\1>");

    private static Map<String, String> properties(Path pom) throws Exception {
        String xml = Files.readString(pom);
        String block = xml.substring(xml.indexOf("<properties>"), xml.indexOf("</properties>"));
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = PROPERTY.matcher(block);
        while (m.find()) {
            out.put(m.group(1), m.group(2).trim());
        }
        return out;
    }

    @Test
    void theClusterRunsTheVersionsTheJobIsBuiltAgainst() throws Exception {
        Map<String, String> project = properties(Path.of("pom.xml"));
        Map<String, String> cluster = properties(Path.of("deploy/cluster/pom.xml"));
        for (String key :
                new String[] {
                    "flink.version",
                    "nd4j.version",
                    "nd4j.backend",
                    "nd4j.classifier",
                    "log4j.version"
                }) {
            assertThat(cluster).as(key).containsKey(key);
            assertThat(cluster.get(key)).as(key).isEqualTo(project.get(key));
        }
    }
}
