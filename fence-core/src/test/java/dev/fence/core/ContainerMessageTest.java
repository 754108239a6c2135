package dev.fence.core;

import static dev.fence.core.TestSupport.mockFence;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The message of a refused container member must give advice that works for the kind of array
 * being built. Fences.merge builds an all-array, which an any-array refuses as a member, so an
 * any-array's message must not send the caller there (it did until the twenty-fifth session,
 * for both kinds).
 */
class ContainerMessageTest {

    @Test
    void anAnyArrayRefusingAContainerDoesNotAdviseMerge() {
        FenceArray inner = FenceArray.all(mockFence(), mockFence());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FenceArray.any(inner, mockFence()));
        String m = e.getMessage();
        assertFalse(m.contains("Fences.merge"), m);
        assertTrue(m.contains("Fences.unwrap"), m);
        // The advice itself works: the leaves are accepted.
        FenceArray.any(Fences.unwrap(inner).toArray(new Fence[0])).release();
    }

    @Test
    void anAllArrayRefusingAContainerAdvisesMergeWhoseResultIsAccepted() {
        Fence a = mockFence();
        FenceChain chain = FenceChain.link(null, a, 1);
        Fence b = mockFence();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FenceArray.all(chain, b));
        String m = e.getMessage();
        assertTrue(m.contains("Fences.merge"), m);
        Fence merged = Fences.merge(chain, b);
        assertTrue(merged instanceof FenceArray && !((FenceArray) merged).signalOnAny(), m);
    }
}
