package perpetua.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import perpetua.schemas.Metrics;
import perpetua.schemas.Task;

/** The curve: cumulative events per series, CSV columns for the metrics present, a PNG plot. */
class CurveTest {
    @TempDir Path dir;

    private static Metrics window(String variant, long events, Double accuracy, Double auc) {
        return Metrics.newBuilder()
                .setModel("m")
                .setTask(Task.BINARY)
                .setVersionFrom(0)
                .setVersionTo(events / 100)
                .setWindowStart(0)
                .setWindowEnd(1000)
                .setEvents(events)
                .setLabelled(events / 2)
                .setEventsPerSecond(events)
                .setAccuracy(accuracy)
                .setAuc(auc)
                .setLogLoss(0.5)
                .setVariant(variant)
                .build();
    }

    private static Curve threeWindowsAndAPromotion() {
        Curve curve = new Curve();
        curve.add(window(null, 1000, 0.7, 0.6));
        curve.add(window("fast", 1000, 0.72, 0.65));
        // A single-class window has no AUC.
        curve.add(window(null, 500, 0.8, null));
        Metrics promotion = window("fast", 500, 0.9, 0.7);
        promotion.setEvent("promotion");
        assertThat(curve.add(promotion)).isNull();
        return curve;
    }

    @Test
    void pointsCountEventsPerSeriesAndCarryTheMetricsTheWindowHas() {
        List<Curve.Point> points = threeWindowsAndAPromotion().points();

        assertThat(points).extracting(Curve.Point::series).containsExactly("m", "m/fast", "m");
        assertThat(points).extracting(Curve.Point::events).containsExactly(1000L, 1000L, 1500L);
        assertThat(points).extracting(Curve.Point::window).containsExactly(1, 1, 2);
        assertThat(points.get(2).metrics()).containsOnlyKeys("accuracy", "logLoss");
        assertThat(Curve.line(points.get(2)))
                .isEqualTo(
                        "m                     2         1500       250    0.8000    0.5000        500");
    }

    @Test
    void csvHasAColumnPerMetricAndARowPerWindow() throws IOException {
        Path file = dir.resolve("curve.csv");
        Curve.writeCsv(threeWindowsAndAPromotion().points(), file);

        assertThat(Files.readAllLines(file))
                .containsExactly(
                        "model,variant,window,events,windowEvents,labelled,versionTo,accuracy,auc,"
                                + "logLoss,eventsPerSecond",
                        "m,,1,1000,1000,500,10,0.700000,0.600000,0.500000,1000.0",
                        "m,fast,1,1000,1000,500,10,0.720000,0.650000,0.500000,1000.0",
                        "m,,2,1500,500,250,5,0.800000,,0.500000,500.0");
    }

    @Test
    void pngIsAReadableImageOfThePlotSize() throws IOException {
        Path file = dir.resolve("curve.png");
        Curve.writePng(threeWindowsAndAPromotion().points(), "auc", "m: auc", file);

        BufferedImage image = ImageIO.read(file.toFile());
        assertThat(image).isNotNull();
        assertThat(image.getWidth()).isEqualTo(Curve.WIDTH);
        assertThat(image.getHeight()).isEqualTo(Curve.HEIGHT);
    }

    @Test
    void aReplayWithoutWindowsStillGetsAPlot() throws IOException {
        Path file = dir.resolve("empty.png");
        Curve.writePng(List.of(), "auc", "m: auc", file);

        assertThat(ImageIO.read(file.toFile()).getWidth()).isEqualTo(Curve.WIDTH);
    }
}
