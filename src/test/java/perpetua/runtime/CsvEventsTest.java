package perpetua.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import perpetua.schemas.Event;

/** CSV rows into events: the time forms that CSV exports write. */
class CsvEventsTest {
    /** 2009-05-04 13:54:25 UTC. */
    private static final long MAY_4 = 1_241_445_265_000L;

    private static List<Event> events(String csv) throws Exception {
        CsvEvents.Roles roles = new CsvEvents.Roles();
        roles.model = "m";
        roles.time = "t";
        roles.timeFeatures = List.of("hour", "dow");
        List<Event> out = new ArrayList<>();
        try (CsvEvents rows =
                new CsvEvents(
                        new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), roles)) {
            rows.forEachRemaining(out::add);
        }
        return out;
    }

    @Test
    void readsTheSpaceSeparatedFormWithAndWithoutAZone() throws Exception {
        List<Event> e =
                events(
                        "t\n"
                                + "2009-05-04 13:54:25\n"
                                + "2009-05-04T13:54:25\n"
                                + "2009-05-04 13:54:25Z\n"
                                + "2009-05-04 13:54:25 UTC\n"
                                + "2009-05-04 15:54:25+02:00\n"
                                + "2009-05-04 15:54:25 +0200\n"
                                + "2009-05-04 15:54:25 Europe/Paris\n"
                                + "1241445265000\n");
        assertThat(e).extracting(Event::getTime).containsOnly(MAY_4);
    }

    @Test
    void fractionsAndMinutesOnlyAndPlainDatesAreRead() throws Exception {
        List<Event> e = events("t\n2009-05-04 13:54:25.5\n2009-05-04 13:54\n2009-05-04\n");
        assertThat(e)
                .extracting(Event::getTime)
                .containsExactly(
                        MAY_4 + 500, MAY_4 - 25_000, MAY_4 - (13 * 3600 + 54 * 60 + 25) * 1000L);
    }

    @Test
    void hourAndWeekdayAreThoseOfTheTimesOwnZone() throws Exception {
        List<Event> e = events("t\n2009-05-04 23:30:00\n2009-05-04 23:30:00-05:00\n");
        assertThat(e.get(0).getCategorical())
                .containsEntry("hour", "23")
                .containsEntry("dow", "mon");
        // 04:30 UTC on Tuesday, but 23:30 on Monday where it was written.
        assertThat(e.get(1).getCategorical())
                .containsEntry("hour", "23")
                .containsEntry("dow", "mon");
        assertThat(e.get(1).getTime() - e.get(0).getTime()).isEqualTo(5 * 3_600_000L);
    }

    @Test
    void anUnreadableTimeSaysWhichFormsAreRead() {
        assertThatThrownBy(() -> events("t\n04/05/2009 13:54\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read time '04/05/2009 13:54'")
                .hasMessageContaining("YYYY-MM-DD HH:MM:SS");
    }

    @Test
    void plainDateTimesReadAsIsoOnesDo() {
        java.util.Random random = new java.util.Random(23);
        for (int i = 0; i < 2000; i++) {
            java.time.LocalDateTime t =
                    java.time.LocalDateTime.of(1970, 1, 1, 0, 0)
                            .plusMinutes(random.nextInt(80 * 366 * 24 * 60))
                            .plusSeconds(random.nextInt(60));
            String iso = t.toString(); // 2009-05-04T13:54 or 2009-05-04T13:54:25
            for (String s : List.of(iso, iso.replace('T', ' '))) {
                assertThat(CsvEvents.parseTime(s))
                        .as(s)
                        .isEqualTo(t.atZone(java.time.ZoneOffset.UTC));
            }
        }
        // Not a plain one: the general reader's answer, e.g. 24:00 as the next midnight.
        assertThat(CsvEvents.parseTime("2009-05-04 24:00").toLocalDateTime())
                .isEqualTo(java.time.LocalDateTime.of(2009, 5, 5, 0, 0));
    }

    @Test
    void aRequestColumnMarksRowsAsRequestsAndAnUnreadableOneForTheDeadLetters() throws Exception {
        CsvEvents.Roles roles = new CsvEvents.Roles();
        roles.model = "m";
        roles.categorical = List.of("user");
        roles.recommend = "k";
        List<Event> out = new ArrayList<>();
        String csv = "user,k\nu1,10\nu2,\nu3,0\nu4, 5 \nu5,ten\nu6,2.5\n";
        try (CsvEvents rows =
                new CsvEvents(
                        new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), roles)) {
            rows.forEachRemaining(out::add);
        }
        assertThat(out).extracting(Event::getRecommend).containsExactly(10, 0, 0, 5, -1, -1);
        assertThat(perpetua.ingest.EventValidator.refusal(out.get(4)))
                .isEqualTo(
                        "recommend -1 must lie in 0.."
                                + perpetua.ingest.EventValidator.MAX_RECOMMEND);
    }

    @Test
    void aRequestColumnMissingFromTheHeaderIsNamed() {
        CsvEvents.Roles roles = new CsvEvents.Roles();
        roles.model = "m";
        roles.recommend = "k";
        assertThatThrownBy(
                        () ->
                                new CsvEvents(
                                        new ByteArrayInputStream(
                                                "user\nu1\n".getBytes(StandardCharsets.UTF_8)),
                                        roles))
                .hasMessageContaining("no column 'k'");
    }
}
