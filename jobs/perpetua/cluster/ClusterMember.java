package perpetua.cluster;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * One process of a local cluster: its role, its number within the role, its pid and when it
 * started.
 *
 * <p>The start instant guards against pid reuse: a member whose pid now belongs to a process that
 * started at another time is gone, and is never signalled.
 *
 * @param role broker, JobManager or TaskManager
 * @param index the member's number within its role (TaskManagers count from 1)
 * @param pid the operating system's process id
 * @param startedAt when the process started, as the operating system reports it
 * @param log the file its standard error and log go to
 */
public record ClusterMember(Role role, int index, long pid, Instant startedAt, Path log) {

    /** What a process of the cluster is. */
    public enum Role {
        BROKER("broker"),
        JOBMANAGER("jobmanager"),
        TASKMANAGER("taskmanager");

        private final String word;

        Role(String word) {
            this.word = word;
        }

        /** The role's name on the command line and in the registry. */
        public String word() {
            return word;
        }

        /** The role named {@code word}. */
        public static Role of(String word) {
            for (Role r : values()) {
                if (r.word.equals(word)) {
                    return r;
                }
            }
            throw new IllegalArgumentException(
                    "unknown role '" + word + "': broker, jobmanager or taskmanager");
        }
    }

    /** The live process, when this member still runs. */
    public Optional<ProcessHandle> process() {
        return ProcessHandle.of(pid)
                .filter(ProcessHandle::isAlive)
                .filter(
                        h ->
                                h.info()
                                        .startInstant()
                                        .map(
                                                s ->
                                                        Math.abs(
                                                                        s.toEpochMilli()
                                                                                - startedAt
                                                                                        .toEpochMilli())
                                                                < 2000)
                                        .orElse(true));
    }

    /** Whether the member's process still runs. */
    public boolean alive() {
        return process().isPresent();
    }

    /** {@code role-index}, such as {@code taskmanager-2}. */
    public String name() {
        return role.word() + "-" + index;
    }
}
