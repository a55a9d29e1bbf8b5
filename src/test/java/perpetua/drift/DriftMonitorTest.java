package perpetua.drift;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.java.typeutils.PojoTypeInfo;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import perpetua.schemas.DriftDetectorKind;
import perpetua.schemas.DriftReaction;
import perpetua.schemas.Metrics;
import perpetua.schemas.ModelSpec;
import perpetua.schemas.Task;

/** A model's drift detector as its spec chooses it, and the records it makes. */
class DriftMonitorTest {

    private static ModelSpec spec(Task task, DriftDetectorKind kind) {
        return ModelSpec.newBuilder()
                .setModel("m")
                .setTask(task)
                .setClasses(2)
                .setDriftDetector(kind)
                .build();
    }

    @Test
    void specDefaultsAreNoDetectorAndAlert() {
        ModelSpec s = spec(Task.BINARY, DriftDetectorKind.NONE);
        assertThat(s.getDriftReaction()).isEqualTo(DriftReaction.ALERT);
        assertThat(s.getDriftDelta()).isEqualTo(0.002);
        assertThat(s.getDriftThreshold()).isEqualTo(50.0);
        assertThat(s.getDriftMinInstances()).isEqualTo(30);
        assertThat(s.getDriftBoostFactor()).isEqualTo(10f);
        assertThat(s.getDriftBoostBatches()).isEqualTo(100);
        DriftMonitor none = DriftMonitor.forSpec(s);
        assertThat(none.detector()).isNull();
        assertThat(none.update(1.0)).isEqualTo(DriftDetector.Signal.NONE);
        assertThat(none.position()).isZero();
    }

    @Test
    void buildsTheDetectorTheSpecNames() {
        ModelSpec adwin = spec(Task.BINARY, DriftDetectorKind.ADWIN);
        adwin.setDriftDelta(0.01);
        DriftMonitor m = DriftMonitor.forSpec(adwin);
        assertThat(m.detector()).isInstanceOf(AdwinDetector.class);
        assertThat(m.adwin.delta).isEqualTo(0.01);
        assertThat(m.sameDetector(adwin)).isTrue();
        adwin.setDriftDelta(0.002);
        assertThat(m.sameDetector(adwin)).isFalse();

        ModelSpec ph = spec(Task.REGRESSION, DriftDetectorKind.PAGE_HINKLEY);
        ph.setDriftThreshold(20.0);
        ph.setDriftTolerance(0.5);
        DriftMonitor p = DriftMonitor.forSpec(ph);
        assertThat(p.pageHinkley.lambda).isEqualTo(20.0);
        assertThat(p.pageHinkley.delta).isEqualTo(0.5);
        assertThat(DriftMonitor.forSpec(spec(Task.MULTICLASS, DriftDetectorKind.DDM)).ddm)
                .isNotNull();
    }

    @Test
    void ddmIsRefusedForRegression() {
        ModelSpec s = spec(Task.REGRESSION, DriftDetectorKind.DDM);
        assertThat(DriftDetectors.problem(s)).contains("DDM").contains("0/1");
        assertThatThrownBy(() -> DriftMonitor.forSpec(s))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(DriftDetectors.problem(spec(Task.BINARY, DriftDetectorKind.DDM))).isNull();
    }

    @Test
    void refusesUnusableTuning() {
        ModelSpec adwin = spec(Task.BINARY, DriftDetectorKind.ADWIN);
        adwin.setDriftDelta(1.5);
        assertThat(DriftDetectors.problem(adwin)).contains("driftDelta");
        ModelSpec ph = spec(Task.BINARY, DriftDetectorKind.PAGE_HINKLEY);
        ph.setDriftThreshold(0.0);
        assertThat(DriftDetectors.problem(ph)).contains("driftThreshold");
        ModelSpec boost = spec(Task.BINARY, DriftDetectorKind.ADWIN);
        boost.setDriftReaction(DriftReaction.BOOST_LEARNING_RATE);
        boost.setDriftBoostBatches(0);
        assertThat(DriftDetectors.problem(boost)).contains("driftBoostBatches");
    }

    @Test
    void errorIsAMissForClassifiersAndTheAbsoluteErrorForRegression() {
        assertThat(DriftMonitor.error(Task.BINARY, 1f, 0f)).isEqualTo(1.0);
        assertThat(DriftMonitor.error(Task.MULTICLASS, 2f, 2f)).isEqualTo(0.0);
        assertThat(DriftMonitor.error(Task.REGRESSION, 1.5f, 4f)).isEqualTo(2.5);
    }

    @Test
    void aDriftBecomesAMetricsRecordWithTheDetectorPositionAndStatistics() {
        DriftMonitor m = DriftMonitor.forSpec(spec(Task.BINARY, DriftDetectorKind.DDM));
        double[] errors = ErrorStreams.bernoulli(42, 20_000, 0.1, 0.5, 10_000);
        Metrics warning = null;
        Metrics drift = null;
        long warnedAt = -1;
        for (int i = 0; i < errors.length && drift == null; i++) {
            DriftDetector.Signal s = m.update(errors[i]);
            if (s == DriftDetector.Signal.WARNING && i >= 10_000 && warning == null) {
                warning = m.record("m", Task.BINARY, 7L, 1234L, s);
                warnedAt = m.warningSince;
            } else if (s == DriftDetector.Signal.DRIFT) {
                drift = m.record("m", Task.BINARY, 9L, 5678L, s);
            }
        }
        assertThat(warning.getEvent()).isEqualTo("warning");
        assertThat(warnedAt).isEqualTo(warning.getPosition());
        assertThat(drift.getEvent()).isEqualTo("drift");
        assertThat(drift.getDetector()).isEqualTo("DDM");
        assertThat(drift.getPosition()).isGreaterThan(10_000L).isEqualTo(m.position());
        assertThat(drift.getVersionTo()).isEqualTo(9L);
        assertThat(drift.getWindowEnd()).isEqualTo(5678L);
        assertThat(drift.getStatistics()).containsKeys("p", "s", "pMin", "sMin", "n");
        assertThat(drift.getDetail()).startsWith("DDM drift after " + drift.getPosition());
        assertThat(m.warningSince).as("a drift ends the warning episode").isEqualTo(-1);
    }

    @Test
    void isAFlinkPojoThatGoesOnAfterRestore() throws Exception {
        TypeInformation<DriftMonitor> info = TypeInformation.of(DriftMonitor.class);
        assertThat(info).isInstanceOf(PojoTypeInfo.class);
        TypeSerializer<DriftMonitor> serializer = info.createSerializer(new SerializerConfigImpl());
        DriftMonitor m = DriftMonitor.forSpec(spec(Task.BINARY, DriftDetectorKind.ADWIN));
        double[] errors = ErrorStreams.bernoulli(42, 20_000, 0.1, 0.5, 15_000);
        for (int i = 0; i < 10_000; i++) {
            m.update(errors[i]);
        }
        DataOutputSerializer out = new DataOutputSerializer(1024);
        serializer.serialize(m, out);
        DriftMonitor copy =
                serializer.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        for (int i = 10_000; i < errors.length; i++) {
            assertThat(copy.update(errors[i])).isEqualTo(m.update(errors[i]));
        }
        assertThat(copy.adwin.statistics()).isNotEmpty().isEqualTo(m.adwin.statistics());
    }
}
