package dev.fence.syncfile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fence.core.Fence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * close() when one key's fence was over-released by its owner: that key's cancel throws (its
 * release would go below zero). Before, the exception left close() half-way: the older keys stayed
 * registered with their references, and wakeup() was skipped. (A select cannot be parked here:
 * the over-release force-signals the fence, which makes its key ready.)
 */
@Timeout(20)
class SyncPollerCloseMisuseTest {

    @Test
    void anOverReleasedFenceDoesNotStopCloseFromCancellingTheRest() {
        SyncPoller p = SyncPoller.open();
        Fence kept = TestSupport.fresh();
        SyncFile keptFile = SyncFile.create(kept);
        SyncPoller.Key keptKey = p.register(keptFile, "kept");
        keptFile.close();
        assertEquals(2, kept.refCnt(), "birth + the key");

        Fence abused = TestSupport.fresh();
        SyncFile abusedFile = SyncFile.create(abused);
        SyncPoller.Key abusedKey = p.register(abusedFile, "abused"); // newest: cancelled first
        abusedFile.close();
        abused.release();
        abused.release(); // one more than its owner had: the key's reference is gone
        assertEquals(0, abused.refCnt());

        assertThrows(IllegalStateException.class, p::close, "the misuse is reported");
        assertFalse(abusedKey.isValid());
        assertFalse(keptKey.isValid(), "the older key was cancelled too");
        assertEquals(1, kept.refCnt(), "its reference was given back");
        assertFalse(p.isOpen());
        assertTrue(p.toString().contains("closed"), p.toString());
        kept.signal();
    }
}
