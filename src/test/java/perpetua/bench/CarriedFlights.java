package perpetua.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** The flights events the project carries, which the JMH benchmarks replay. */
final class CarriedFlights {
    private CarriedFlights() {}

    /**
     * The carried flights CSV under the project folder (system property {@code perpetua.home}, as
     * {@code ./perpetua bench} sets it, else the working directory).
     *
     * @throws IllegalStateException when the file is not there
     */
    static Path csv() {
        Path home = Path.of(System.getProperty("perpetua.home", "."));
        Path csv = home.resolve("data/flights-100k.csv.gz");
        if (!Files.exists(csv)) {
            throw new IllegalStateException("run from the project folder: no " + csv);
        }
        return csv;
    }
}
