export const name = '@tunnel/core';
