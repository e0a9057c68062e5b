package io.otaproxy.admin.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the admin operations (PID {@code io.otaproxy.admin}), written from proxy_info.yml. */
@ObjectClassDefinition(id = "io.otaproxy.admin", name = "ota-proxy: admin", description = "What the admin API and shell commands may do.")
@interface AdminConfig {

    @AttributeDefinition(name = "Allow destructive operations", description = "Whether purge and evict may be"
            + " run through the admin API and the shell (admin_allow_destructive). Off: they are refused.")
    boolean allow_destructive() default false;
}
