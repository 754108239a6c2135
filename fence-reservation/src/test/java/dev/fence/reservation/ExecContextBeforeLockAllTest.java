package dev.fence.reservation;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import dev.fence.core.Timeline;
import org.junit.jupiter.api.Test;

/**
 * addFence() and dependencies()/dependency() of an ExecContext before its lockAll() has run.
 * Nothing is locked yet, so addFence() attached the fence to no reservation and
 * dependency() answered "nothing to wait for" (the signalled stub), silently: a user who forgot
 * lockAll() (or called them after reopen() and before the next lockAll()) lost the
 * synchronization without a word. They are refused now, as they are after close().
 */
class ExecContextBeforeLockAllTest {

    @Test
    void addFenceBeforeLockAllIsRefused() throws Exception {
        Reservation r = new Reservation();
        Fence job = Timeline.create("job").next();
        try (ExecContext exec = ExecContext.create()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> exec.addFence(job, Usage.WRITE),
                    "addFence() before lockAll() attaches the fence nowhere");
            assertTrue(e.getMessage().contains("lockAll()"), e.getMessage());
            // nowhere, not even later: the reservation the transaction then locks lacks it
            // (r was untouched by the refused call, so checking it only before this proved nothing)
            exec.lockAll(b -> b.prepare(r, 1));
            assertFalse(r.fences(Usage.BOOKKEEP).contains(job),
                    "the refused fence was attached once lockAll() had run");
        }
        assertFalse(r.fences(Usage.BOOKKEEP).contains(job));
    }

    @Test
    void dependencyBeforeLockAllIsRefused() {
        try (ExecContext exec = ExecContext.create()) {
            assertThrows(IllegalStateException.class, () -> exec.dependency(Usage.READ),
                    "dependency() before lockAll() must not answer 'nothing to wait for'");
            assertThrows(IllegalStateException.class, () -> exec.dependencies(Usage.READ));
        }
    }

    @Test
    void afterReopenTheyWaitForTheNextLockAll() throws Exception {
        Reservation r = new Reservation();
        Fence earlier = Timeline.create("earlier").next();
        ExecContext exec = ExecContext.create();
        try (ExecContext e = exec.reopen()) {
            e.lockAll(b -> b.prepare(r, 1));
            e.addFence(earlier, Usage.WRITE);
        }
        try (ExecContext e = exec.reopen()) {
            assertThrows(IllegalStateException.class, () -> e.dependency(Usage.READ),
                    "reopened, not locked again yet");
            assertThrows(IllegalStateException.class,
                    () -> e.addFence(Timeline.create("next").next(), Usage.WRITE));
            e.lockAll(b -> b.prepare(r, 1));
            assertTrue(e.dependencies(Usage.READ).contains(earlier));
        }
    }

    @Test
    void insideTheBlockTheyStillWork() throws Exception {
        Reservation r = new Reservation();
        Fence earlier = Timeline.create("earlier").next();
        r.lock();
        r.reserveFences(1);
        r.addFence(earlier, Usage.WRITE);
        r.unlock();
        try (ExecContext exec = ExecContext.create()) {
            exec.lockAll(b -> {
                b.prepare(r, 1);
                assertTrue(b.dependencies(Usage.WRITE).contains(earlier));
            });
        }
    }
}
